# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""`imle-policy-ros bench`: the parser (argparse only: `--help` stays torch-free) and its run."""

from __future__ import annotations

import argparse
import os
import sys

SECTION_NAMES = ('inference', 'encoder_cache', 'memory', 'training', 'control_loop')


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def add_bench_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        'bench',
        help='benchmarks: IMLE vs DDPM/DDIM, ORT vs torch, encoder cache, training, memory, loop',
        description="Times the paper's configuration (random weights; "
        'speed does not depend on them): '
        'IMLE through the exported bundle on ONNX Runtime against torch eager and against '
        "Diffusion Policy's 100-step DDPM and 10-step DDIM samplers on the same UNet, at "
        'N = 1, 8, 32; encoder caching; RS-IMLE training steps/s; peak memory of a deploy '
        "process; the ROS 2 control loop; and each figure's distance to the machine's floor.",
    )
    p.add_argument(
        '--quick', action='store_true', help='fewer repetitions (about 2 min on 2 CPU cores)'
    )
    p.add_argument(
        '--json',
        action='store_true',
        help="print one JSON object (headline ratios under 'headline')",
    )
    p.add_argument(
        '--providers',
        nargs='+',
        default=[],
        choices=['cuda', 'tensorrt'],
        help='also time these ONNX Runtime providers in fp32 and fp16 (CPU always runs); '
        'skipped with the reason where this onnxruntime build has none',
    )
    p.add_argument(
        '--config',
        choices=['paper', 'small', 'tiny'],
        default='paper',
        help='network sizes: paper (default), small (a CPU-sized model), tiny (tests only)',
    )
    p.add_argument(
        '--sections',
        nargs='+',
        choices=SECTION_NAMES,
        default=list(SECTION_NAMES),
        help='which measurements to run (default: all)',
    )
    p.add_argument(
        '--threads',
        type=int,
        default=_cores(),
        help='torch and ORT intra-op threads (default: usable cores, %(default)s)',
    )
    p.add_argument(
        '--ort-spinning',
        action='store_true',
        help="let ORT's worker threads spin between runs (the policy node does not)",
    )
    p.add_argument(
        '--output', default=None, metavar='JSON', help='also write the JSON report to this file'
    )
    p.set_defaults(run=run_bench)
    return p


def run_bench(args) -> int:
    import json

    from .report import text_report
    from .run import run_benchmark
    from .settings import settings_for

    if args.threads < 1:
        print('bench: --threads must be >= 1', file=sys.stderr)
        return 2

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    settings = settings_for(args.quick, args.threads, args.config)
    settings.ort_allow_spinning = args.ort_spinning
    report = run_benchmark(args.config, settings, tuple(args.sections), tuple(args.providers), log)
    report['command'] = ' '.join(
        ['imle-policy-ros bench']
        + (['--quick'] if args.quick else [])
        + ['--config', args.config]
        + (['--providers', *args.providers] if args.providers else [])
        + (['--sections', *args.sections] if list(args.sections) != list(SECTION_NAMES) else [])
        + ['--threads', str(args.threads)]
        + (['--ort-spinning'] if args.ort_spinning else [])
    )
    text = json.dumps(report, indent=1, default=float)
    if args.output:
        with open(args.output, 'w') as f:
            f.write(text + '\n')
    print(text if args.json else text_report(report))
    return 0
