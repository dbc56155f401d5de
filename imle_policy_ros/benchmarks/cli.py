# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""`imle-policy-ros bench`: its options and its run (torch is imported when it runs)."""

from __future__ import annotations

import os
import sys

from .settings import SECTIONS as SECTION_NAMES
from ..cli_settings import command_options
from ..settings import setting


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


@command_options
class BenchCommand:
    quick: bool = setting(False, 'fewer repetitions (about 2 min on 2 CPU cores)')
    json: bool = setting(False, "print one JSON object (headline ratios under 'headline')")
    providers: tuple[str, ...] = setting(
        (),
        'also time these ONNX Runtime providers in fp32 and fp16 (CPU always runs); skipped '
        'with the reason where this onnxruntime build has none',
        choices=('cuda', 'tensorrt'),
    )
    config: str = setting(
        'paper',
        'network sizes: paper, small (a CPU-sized model), tiny (tests only)',
        choices=('paper', 'small', 'tiny'),
    )
    sections: tuple[str, ...] = setting(
        SECTION_NAMES, 'which measurements to run', choices=SECTION_NAMES
    )
    threads: int = setting(0, 'torch and ORT intra-op threads (0: the usable cores)', min=0)
    ort_spinning: bool = setting(
        False, "let ORT's worker threads spin between runs (the policy node does not)"
    )
    output: str | None = setting(None, 'also write the JSON report to this file', metavar='JSON')


def run_bench(command: BenchCommand) -> int:
    import json

    from .report import text_report
    from .run import run_benchmark
    from .settings import settings_for

    threads = command.threads or _cores()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    settings = settings_for(command.quick, threads, command.config)
    settings.ort_allow_spinning = command.ort_spinning
    report = run_benchmark(command.config, settings, command.sections, command.providers, log)
    report['command'] = ' '.join(
        ['imle-policy-ros bench']
        + (['--quick'] if command.quick else [])
        + ['--config', command.config]
        + (['--providers', *command.providers] if command.providers else [])
        + (['--sections', *command.sections] if command.sections != SECTION_NAMES else [])
        + ['--threads', str(threads)]
        + (['--ort-spinning'] if command.ort_spinning else [])
    )
    text = json.dumps(report, indent=1, default=float)
    if command.output:
        with open(command.output, 'w') as f:
            f.write(text + '\n')
    print(text if command.json else text_report(report))
    return 0
