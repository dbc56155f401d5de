# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Command-line options made from config dataclasses (settings.py), and configs from options.

Each field becomes one option: `--<name-with-dashes>` (or the field's own flag), its type,
its default and its help from the field; a bool becomes `--name` / `--no-name`; a tuple
takes several values. Fields of a nested config are options of the same command.

Why not tyro or draccus: both would rename the flags users already type (nested configs
become `--controller.num-samples`), and the deploy host, where `imle-policy-ros --help`
must work, would need them and their dependencies; this module is all the mapping needs.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, MISSING
import importlib
from typing import Any, Callable

from .settings import build, check_settings, flat_fields, FlatField, value_type


def add_settings(
    parser: argparse.ArgumentParser, config_type: type, skip: tuple[str, ...] = ()
) -> None:
    """Add one option per setting of `config_type` (nested configs included)."""
    for flat in flat_fields(config_type).values():
        if flat.name not in skip:
            _add_option(parser, flat)


def config_from_args(config_type: type, args: argparse.Namespace, **fixed: Any) -> Any:
    """Build `config_type` from parsed options (and `fixed` values for skipped settings)."""
    values = {}
    for name, flat in flat_fields(config_type).items():
        value = getattr(args, name, None)
        # None from an option left out where the setting takes no None: the field's default
        if value is not None or value_type(flat.type).optional and name in args:
            values[name] = value
    return build(config_type, {**values, **fixed})


def _add_option(parser: argparse.ArgumentParser, flat: FlatField) -> None:
    info, default = flat.info, flat.default
    kind = value_type(flat.type)
    required = default is MISSING
    help_text = info.help.replace('%', '%%')
    kwargs: dict[str, Any] = {'help': help_text, 'dest': flat.name}
    if kind.scalar is bool and not kind.is_sequence:
        shown = 'on' if default else 'off'
        kwargs.update(
            action=argparse.BooleanOptionalAction, default=default, help=f'{help_text} ({shown})'
        )
    else:
        kwargs['type'] = kind.scalar
        if kind.is_sequence and info.repeat:
            kwargs['action'] = 'append'  # onto None: argparse would append to the default
        elif kind.is_sequence:
            kwargs['nargs'] = '+' if kind.length == -1 else kind.length
        if info.choices is not None:
            kwargs['choices'] = info.choices
        if info.metavar:
            kwargs['metavar'] = info.metavar
        elif kind.scalar in (int, float) and info.choices is None:
            kwargs['metavar'] = 'N' if kind.scalar is int else 'X'
        if not required:
            kwargs['default'] = None if info.repeat else default
            if default not in (None, ''):
                shown = ' '.join(map(str, default)) if kind.is_sequence else default
                kwargs['help'] = f'{help_text} (default: {shown})'
    if info.positional:
        kwargs.pop('dest')
        parser.add_argument(flat.name, **kwargs)
        return
    names = [info.flag or '--' + flat.name.replace('_', '-')]
    if info.short:
        names.insert(0, info.short)
    parser.add_argument(*names, required=required, **kwargs)


def command_options(cls: type) -> type:
    """Make a dataclass of a command's own options: frozen, checked like every config."""
    cls.__post_init__ = check_settings  # type: ignore[attr-defined]
    return dataclass(frozen=True)(cls)


@dataclass(frozen=True)
class Command:
    """
    A subcommand: its help, the configs its options come from, and what it runs.

    Configs and the run function are named by import path ('evaluation.closed_loop:EvalConfig',
    relative to this package), so a command's layer is imported only when it is chosen:
    `imle-policy-ros --help` and another command's run need none of it.
    """

    summary: str  # one line, in the list of commands
    description: str
    configs: tuple[str, ...]  # built from the options, handed to run in this order
    run: str
    extra: Callable[[argparse.ArgumentParser], None] | None = None  # options beyond them
    skip: tuple[str, ...] = ()  # settings of the configs this command does not offer

    def config_types(self) -> tuple[type, ...]:
        return tuple(_load(path) for path in self.configs)

    def runner(self) -> Callable[..., int]:
        return _load(self.run)


def _load(path: str) -> Any:
    module, _, name = path.partition(':')
    return getattr(importlib.import_module(f'imle_policy_ros.{module}'), name)
