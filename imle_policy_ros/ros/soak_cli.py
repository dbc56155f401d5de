# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros soak`: the subcommand's arguments. Only argparse is imported here, so the
CLI's --help works without ROS; the run itself (ros/soak.py) needs rclpy.
"""

import argparse


def add_soak_parser(subparsers) -> None:
    p = subparsers.add_parser(
        'soak',
        help='run the simulated loop through the ROS 2 nodes with random faults; report safety',
        description='Start sim_robot_node and policy_node (config/sim.yaml) as separate processes, inject '
        'random faults (stopped or broken cameras and joint states, bad stamps, a robot restart, '
        'bad model switches) for the given time, and report safety violations, missed deadlines, '
        "tick jitter and the policy process's memory growth. Exits 1 on any safety violation.",
    )
    p.add_argument(
        '--minutes', type=float, required=True, help='how long to run, after the stack is up'
    )
    p.add_argument(
        '--seed', type=int, default=0, help='picks the faults, their order and durations'
    )
    p.add_argument(
        '--faults',
        default=None,
        metavar='KIND,...',
        help='draw only these fault kinds (default: all; an unknown name lists them)',
    )
    p.add_argument(
        '--json', action='store_true', help='print one JSON object instead of the text report'
    )
    p.add_argument(
        '--workdir',
        default=None,
        help='where parameters, bundles and node logs go (default: a new temporary folder)',
    )
    p.set_defaults(run=_run_soak)


def _run_soak(args: argparse.Namespace) -> int:
    import json
    import sys

    try:
        import rclpy  # noqa: F401
    except ImportError:
        print(
            'soak: rclpy is not importable. Source your ROS 2 install, or pip install '
            "'imle_policy_ros[ros]' (pip wheels of ROS 2 Jazzy; Python 3.11, x86_64).",
            file=sys.stderr,
        )
        return 1
    from .soak import format_report, run_soak

    quiet = lambda line: print(line, file=sys.stderr)  # noqa: E731 - progress away from the JSON
    kinds = [k.strip() for k in args.faults.split(',') if k.strip()] if args.faults else None
    try:
        report = run_soak(
            args.minutes * 60.0, seed=args.seed, workdir=args.workdir, log=quiet, kinds=kinds
        )
    except ValueError as exc:
        print(f'soak: {exc}', file=sys.stderr)
        return 2
    print(json.dumps(report) if args.json else format_report(report))
    return 1 if report['safety_violations'] else 0
