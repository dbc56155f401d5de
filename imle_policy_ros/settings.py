# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Settings: each one defined once, as a dataclass field with its help and its range.

    num_samples: int = setting(32, 'action chunks drawn per inference (N)', min=1, live=True)

Everything else reads the field: the command line builds its options from it
(cli_settings.py), a node declares its ROS parameters from it (ros/node_parameters.py),
and `check_settings`, called by each config's __post_init__, refuses a value outside its
range when the object is built, whoever built it. A config may hold another (EvalConfig
holds a ControllerConfig); options and parameters flatten the nesting by field name, so a
name is unique across it.

Values are immutable: sequences are tuples, so a config can be frozen and shared between
threads, and a change is a new object (`replace_flat`), checked like the first.
"""

from __future__ import annotations

from dataclasses import dataclass, Field, field, fields, is_dataclass, MISSING, replace
import types
import typing
from typing import Any, Callable, Mapping

from .errors import Refusal


class SettingError(Refusal, ValueError):
    """A setting's value cannot be used; the message names the setting and its range."""


@dataclass(frozen=True)
class SettingInfo:
    help: str = ''  # noqa: A003
    min: float | None = None  # noqa: A003
    max: float | None = None  # noqa: A003
    choices: tuple | None = None
    # May change while a node runs (`ros2 param set`); the others are read-only there.
    live: bool = False
    # A check beyond range and choices: returns the problem with the value, or None.
    check: Callable[[Any], str | None] | None = None
    # Command line: the flag when not --<field-name>, a short alias, a positional argument.
    flag: str | None = None
    short: str | None = None
    positional: bool = False
    metavar: str | tuple[str, ...] | None = None
    # A sequence given as a repeated option (--image-topic A --image-topic B).
    repeat: bool = False
    # False: not offered as a ROS parameter by a node whose config holds this one.
    ros: bool = True


def setting(default: Any = MISSING, description: str = '', **info: Any) -> Any:
    """Declare a dataclass field as a setting: with no default, the setting is required."""
    if isinstance(default, (list, dict, set)):
        raise TypeError(f'setting default {default!r}: use a tuple, settings are immutable')
    return field(default=default, metadata={'setting': SettingInfo(help=description, **info)})


def nested(config_type: type, default: Any = None, description: str = '') -> Any:
    """
    Declare a field that holds another config.

    `default`: an instance whose values are this holder's defaults (the policy node runs
    ONNX Runtime on 2 threads, offline evaluation on as many as it likes); without it the
    held config's own defaults.
    """
    factory = config_type if default is None else (lambda: default)
    return field(default_factory=factory, metadata={'setting': SettingInfo(help=description)})


def info_of(f: Field) -> SettingInfo:
    return f.metadata.get('setting', SettingInfo())


@dataclass(frozen=True)
class ValueType:
    """What a setting holds: a scalar type, a sequence of it, and whether None is allowed."""

    scalar: type  # bool, int, float or str
    length: int | None = None  # a sequence: its fixed length, or -1 for any length
    optional: bool = False

    @property
    def is_sequence(self) -> bool:
        return self.length is not None


def value_type(annotation: Any) -> ValueType:
    """Read a field's annotation: T, T | None, tuple[T, ...], tuple[T, T] (T a scalar)."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) != 1:
            raise TypeError(f'unsupported setting type {annotation!r}')
        optional, annotation = True, rest[0]
        args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple:
        length = -1 if len(args) == 2 and args[1] is Ellipsis else len(args)
        return ValueType(args[0], length, optional)
    if annotation not in (bool, int, float, str):
        raise TypeError(f'unsupported setting type {annotation!r}')
    return ValueType(annotation, None, optional)


def _hints(config_type: type) -> dict[str, Any]:
    return typing.get_type_hints(config_type)


def _held_config(annotation: Any) -> type | None:
    """Return the config type a field holds, or None for a plain setting."""
    return annotation if isinstance(annotation, type) and is_dataclass(annotation) else None


@dataclass(frozen=True)
class FlatField:
    """One setting of a (possibly nested) config: where it lives and what it is."""

    path: tuple[str, ...]  # the nested configs that hold it, outermost first
    field: Field
    type: Any  # the resolved annotation  # noqa: A003
    default: Any  # as the outermost config has it (MISSING: required)

    @property
    def name(self) -> str:
        return self.field.name

    @property
    def info(self) -> SettingInfo:
        return info_of(self.field)


def flat_fields(
    config_type: type, path: tuple[str, ...] = (), defaults: Any = None
) -> dict[str, FlatField]:
    """Every setting of `config_type` by name, nested configs flattened into it."""
    flat: dict[str, FlatField] = {}
    hints = _hints(config_type)
    for f in fields(config_type):
        annotation = hints[f.name]
        held_type = _held_config(annotation)
        if held_type is not None:
            factory = f.default_factory if callable(f.default_factory) else held_type
            held = getattr(defaults, f.name) if defaults is not None else factory()
            inner = flat_fields(held_type, path + (f.name,), held)
        else:
            default = getattr(defaults, f.name) if defaults is not None else f.default
            inner = {f.name: FlatField(path, f, annotation, default)}
        for name in inner:
            if name in flat:
                raise TypeError(f'{config_type.__name__}: setting {name!r} defined twice')
        flat.update(inner)
    return flat


def check_settings(config: Any) -> None:
    """
    Raise SettingError naming every field of `config` whose value is unusable.

    A list given for a tuple setting is made a tuple first, so the config stays immutable.
    """
    hints = _hints(type(config))
    for f in fields(config):
        value = getattr(config, f.name)
        if isinstance(value, list) and _held_config(hints[f.name]) is None:
            object.__setattr__(config, f.name, tuple(value))
    problems = [
        problem
        for f in fields(config)
        if _held_config(hints[f.name]) is None
        and (problem := problem_with(f.name, getattr(config, f.name), info_of(f)))
    ]
    if problems:
        raise SettingError('; '.join(problems))


def problem_with(name: str, value: Any, info: SettingInfo) -> str | None:
    """Return why `value` cannot be the value of setting `name`, or None."""
    if value is None:
        return None
    values = value if isinstance(value, (tuple, list)) else (value,)
    if info.min is not None or info.max is not None:
        span = f'[{info.min}, {info.max}]' if info.max is not None else f'>= {info.min}'
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return f'{name}={value!r} must be a number {span}'
            if (info.min is not None and v < info.min) or (info.max is not None and v > info.max):
                return f'{name}={value} is outside {span}'
    if info.choices is not None and any(v not in info.choices for v in values):
        return f'{name} {value!r} is not one of {", ".join(map(str, info.choices))}'
    return info.check(value) if info.check is not None else None


def build(config_type: type, values: Mapping[str, Any]) -> Any:
    """Build `config_type` from flat values by setting name (missing ones keep defaults)."""
    unknown = set(values) - set(flat_fields(config_type))
    if unknown:
        raise SettingError(f'unknown setting(s) {sorted(unknown)} for {config_type.__name__}')
    return _build(config_type, values)


def _build(config_type: type, values: Mapping[str, Any], base: Any = None) -> Any:
    """
    Build `config_type` from flat values by setting name, nested configs included.

    `base`: the instance whose values the missing ones take (a holder's own defaults).
    """
    hints = _hints(config_type)
    kwargs = {}
    for f in fields(config_type):
        annotation = hints[f.name]
        held_type = _held_config(annotation)
        if held_type is not None:
            if base is not None:
                held_base = getattr(base, f.name)
            else:
                held_base = f.default_factory() if callable(f.default_factory) else None
            kwargs[f.name] = _build(held_type, values, held_base)
        elif f.name in values:
            kwargs[f.name] = _coerce(values[f.name], annotation)
        elif base is not None:
            kwargs[f.name] = getattr(base, f.name)
    return config_type(**kwargs)


def _coerce(value: Any, annotation: Any) -> Any:
    """Make lists tuples (YAML, argparse and rclpy hand over lists)."""
    if isinstance(value, list) or (
        value is not None and value_type(annotation).is_sequence and not isinstance(value, tuple)
    ):
        return tuple(value)
    return value


def flat_values(config: Any) -> dict[str, Any]:
    """Every setting's value by name, nested configs flattened."""
    out: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        out.update(flat_values(value) if is_dataclass(value) else {f.name: value})
    return out


def replace_flat(config: Any, changes: Mapping[str, Any]) -> Any:
    """Return a copy of `config` with settings changed by flat name, checked like a new one."""
    unknown = set(changes) - set(flat_fields(type(config)))
    if unknown:
        raise SettingError(f'unknown setting(s) {sorted(unknown)} for {type(config).__name__}')
    hints = _hints(type(config))
    kwargs = {}
    for f in fields(config):
        annotation = hints[f.name]
        held_type = _held_config(annotation)
        if held_type is not None:
            inner = {k: v for k, v in changes.items() if k in flat_fields(held_type)}
            if inner:
                kwargs[f.name] = replace_flat(getattr(config, f.name), inner)
        elif f.name in changes:
            kwargs[f.name] = _coerce(changes[f.name], annotation)
    return replace(config, **kwargs)
