# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros soak`: the subcommand's options and its run.

Nothing of ROS is imported until it runs, so the CLI's --help works without ROS; the run
itself (harness/soak.py) needs rclpy.
"""

from __future__ import annotations

from ...cli_settings import command_options
from ...settings import setting


@command_options
class SoakCommand:
    minutes: float = setting(description='how long to run, after the stack is up', min=0.0)
    seed: int = setting(0, 'picks the faults, their order and durations', min=0)
    faults: str | None = setting(
        None,
        'draw only these fault kinds, comma-separated (default: all; an unknown name lists them)',
        metavar='KIND,...',
    )
    config: str = setting(
        'sim.yaml',
        "parameters file of both nodes: a path, or a name in the package's config/ (sim_ee.yaml "
        'or sim_ee_twist.yaml: the end-effector model, with the faults of its pose and arm)',
    )
    json: bool = setting(False, 'print one JSON object instead of the text report')
    workdir: str | None = setting(
        None, 'where parameters, bundles and node logs go (default: a new temporary folder)'
    )


def run_soak_command(command: SoakCommand) -> int:
    import json
    import sys

    from .. import require_rclpy
    from ...resources import resolve_config_path

    require_rclpy()
    from .soak import format_report, run_soak

    def progress(line: str) -> None:
        print(line, file=sys.stderr)  # away from the JSON on stdout

    faults = command.faults or ''
    kinds = [k.strip() for k in faults.split(',') if k.strip()] or None
    report = run_soak(
        command.minutes * 60.0,
        seed=command.seed,
        workdir=command.workdir,
        log=progress,
        kinds=kinds,
        config=resolve_config_path(command.config),
    )
    print(json.dumps(report) if command.json else format_report(report))
    return 1 if report['safety_violations'] else 0
