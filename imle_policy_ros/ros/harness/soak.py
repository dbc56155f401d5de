# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The soak run: the simulated loop through the ROS 2 nodes for a while, with random faults.

sim_robot_node and policy_node (config/sim.yaml: the bundled model, 100 Hz, new scenes as
episodes end; or another config, e.g. config/sim_ee.yaml: the end-effector model through
PoseStamped targets) run as separate processes in a FaultStack. Between calm spells of 2-5
s, a fault drawn from ros/fault_injector.py's table for the stack (FAULTS, or EE_FAULTS
for pose and twist; seeded) is started, lasts 1-3 s, and is ended; after a `hold` fault
the arm must move again (a recovery). Reported:

  safety_violations   every invariant of control/safety_invariants.py (for pose and twist
                      control/cartesian_invariants.py) over every command
                      (harness/safety_recorder.py, harness/cartesian_recorder.py), plus any
                      bad bundle the node accepted
  missed_deadlines    control ticks skipped because the loop fell a period behind (the
                      node's own count, from /diagnostics)
  jitter_p99_ms       |tick period - control period| over all consecutive published
                      ticks (from ~/command_info tick times), p99 and max
  rss_growth_mb       the policy process's resident memory (/proc/PID/status, sampled every
                      2 s): median of the last quarter of the samples minus the median of
                      the first quarter after a warm-up (a fifth of the run, at most 60 s),
                      so start-up allocations and single spikes do not count as growth
  faults_injected     per kind; recoveries_failed: hold faults after which the arm did
                      not move again within 30 s
  episodes            completed and succeeded, from the simulator's status
"""

from __future__ import annotations

from collections import Counter
import os
from pathlib import Path
import random
import tempfile
import threading
import time

import numpy as np

from .fault_injector import fault_named, faults_for
from .fault_stack import FaultStack, is_cartesian
from .stack_probe import SIM_CONFIG
from ...control.rate_meter import RateMeter
from ...errors import Refusal

CALM_S = (2.0, 5.0)
FAULT_S = (1.0, 3.0)
RECOVERY_TIMEOUT_S = 30.0
RSS_PERIOD_S = 2.0


class _Watcher(threading.Thread):
    """
    Samples what the soak reports besides the commands.

    That is the policy's memory, its diagnostics, and the outcome of each episode (a
    restarted robot counts episodes anew).
    """

    def __init__(self, stack: FaultStack):
        super().__init__(daemon=True)
        self.stack = stack
        self.rss: list[tuple[float, float]] = []
        self.node_jitter_p99: list[float] = []
        self.outcomes: dict[tuple[int, int], str] = {}
        self._done = threading.Event()

    def run(self):
        next_rss = 0.0
        while not self._done.wait(0.1):
            status = dict(self.stack.probe.status)
            outcome = status.get('outcome', 'running')
            if status and outcome != 'running':
                self.outcomes.setdefault((self.stack._robot_starts, status['episode']), outcome)
            if time.monotonic() >= next_rss:
                next_rss = time.monotonic() + RSS_PERIOD_S
                rss = self.stack.rss_mb()
                if rss is not None:
                    self.rss.append((time.monotonic(), rss))
                jitter = self.stack.diagnostics().get('control_jitter_ms_p99')
                if jitter is not None:
                    self.node_jitter_p99.append(float(jitter))

    def stop(self):
        self._done.set()
        if self.is_alive():
            self.join(timeout=5.0)


def rss_growth_mb(samples: list[tuple[float, float]], duration_s: float) -> float:
    """Late-window median minus early-window median, after the warm-up (module docstring)."""
    if not samples:
        return float('nan')
    start = samples[0][0]
    warm = min(60.0, duration_s / 5.0)
    values = np.array(
        [rss for t, rss in samples if t - start >= warm] or [rss for _, rss in samples]
    )
    quarter = max(1, len(values) // 4)
    return float(np.median(values[-quarter:]) - np.median(values[:quarter]))


def tick_jitter_ms(records, period: float) -> tuple[float, float]:
    """
    Return (p99, max) of |period between consecutive published ticks - the control period|.

    As the node's diagnostics measure it, over the whole run. A gap in the sequence numbers
    (a command the recorder lost) is not a period.
    """
    meter = RateMeter(period, window=None)
    previous = None
    for record in sorted(records, key=lambda r: r.seq):
        if previous is not None and record.seq != previous.seq + 1:
            meter.skip()
        meter.tick(record.time)
        previous = record
    if meter.count == 0:
        return float('nan'), float('nan')
    return meter.jitter_ms(99), meter.jitter_ms(100)


def rss_per_minute(samples: list[tuple[float, float]]) -> list[float]:
    """Median resident memory of each whole minute of the run (MB): the shape of the curve."""
    if not samples:
        return []
    start = samples[0][0]
    minutes: dict[int, list[float]] = {}
    for t, rss in samples:
        minutes.setdefault(int((t - start) // 60), []).append(rss)
    return [round(float(np.median(v)), 1) for _, v in sorted(minutes.items())]


def run_soak(
    seconds: float,
    seed: int = 0,
    workdir: Path | None = None,
    log=print,
    kinds=None,
    config: Path = SIM_CONFIG,
) -> dict:
    """
    Run the soak; return its report (the module docstring).

    kinds: the fault kinds to draw from (default: every one the stack supports); config:
    the parameters file of both nodes.
    """
    workdir = Path(workdir or tempfile.mkdtemp(prefix='imle_soak_'))
    rng = random.Random(seed)
    supported = faults_for(compressed_camera=False, cartesian=is_cartesian(config))
    kinds = list(kinds or supported)
    unknown = [k for k in kinds if k not in supported]
    if unknown:
        raise Refusal(f'unknown fault kinds {unknown}; choose from {", ".join(supported)}')
    load_before = os.getloadavg()
    stack = FaultStack(workdir, config=config)
    injected, errors = Counter(), []
    recoveries_failed = accepted_bad_models = 0
    watcher = _Watcher(stack)
    try:
        stack.prepare_model_refusals()
        stack.wait_moving(120)
        watcher.start()
        started = time.monotonic()
        end = started + seconds
        while time.monotonic() < end:
            time.sleep(min(rng.uniform(*CALM_S), max(0.0, end - time.monotonic())))
            if time.monotonic() >= end - FAULT_S[0]:
                break
            kind = rng.choice(kinds)
            fault = fault_named(kind)
            try:
                fault.start(stack)
                injected[kind] += 1
                time.sleep(rng.uniform(*FAULT_S))
            except AssertionError as exc:
                if 'accepted a bundle' in str(exc):
                    accepted_bad_models += 1
                errors.append(f'{kind}: {exc}')
            finally:
                back = time.time()
                try:
                    fault.stop(stack)
                except AssertionError as exc:
                    errors.append(f'{kind} (ending it): {exc}')
            if fault.outcome == 'hold':
                try:
                    stack.wait_moving(RECOVERY_TIMEOUT_S, since=back)
                except AssertionError:
                    recoveries_failed += 1
                    errors.append(
                        f'{kind}: no motion within {RECOVERY_TIMEOUT_S} s after it ended'
                    )
            log(f'[soak] {time.monotonic() - started:6.1f} s: {kind}')
        elapsed = time.monotonic() - started
    finally:
        try:
            watcher.stop()
            diagnostics = stack.diagnostics()
        finally:
            codes = stack.close()
    report = stack.recorder.report()
    period = 1.0 / stack.node_config.control_rate_hz
    jitter_p99, jitter_max = tick_jitter_ms(stack.recorder.records, period)
    outcomes = Counter(watcher.outcomes.values())
    return {
        'duration_s': round(elapsed, 1),
        'seed': seed,
        'config': str(config),
        'safety_violations': len(report.violations) + accepted_bad_models,
        'violations': report.violations[:20],
        'commands_checked': report.checked,
        'command_messages': stack.recorder.command_messages,
        'unjudged': report.unjudged_pairs,
        # end-effector stacks: gripper decisions undone by the measured state within the dwell
        'gripper_reset_within_dwell': getattr(stack.recorder, 'gripper_reset_within_dwell', 0),
        'missed_deadlines': int(diagnostics.get('missed_deadlines', -1)),
        'jitter_p99_ms': round(jitter_p99, 3),
        'jitter_max_ms': round(jitter_max, 3),
        'node_jitter_p99_ms_worst_window': max(watcher.node_jitter_p99, default=float('nan')),
        'rss_growth_mb': round(rss_growth_mb(watcher.rss, elapsed), 2),
        'rss_mb_first': round(watcher.rss[0][1], 1) if watcher.rss else None,
        'rss_mb_last': round(watcher.rss[-1][1], 1) if watcher.rss else None,
        'rss_samples': len(watcher.rss),
        'rss_mb_per_minute': rss_per_minute(watcher.rss),
        'faults_injected': dict(sorted(injected.items())),
        'recoveries_failed': recoveries_failed,
        'injection_errors': errors[:20],
        'episodes_completed': sum(outcomes.values()),
        'episodes_succeeded': outcomes.get('success', 0),
        'episode_outcomes': dict(outcomes),
        'node_exit_codes': list(codes),
        'machine': {
            'cores': os.cpu_count(),
            'load_1min_before': round(load_before[0], 2),
            'load_1min_after': round(os.getloadavg()[0], 2),
        },
        'logs': str(workdir),
    }


def format_report(r: dict) -> str:
    lines = [
        f'soak: {r["duration_s"]:.0f} s, {Path(r["config"]).name}, seed {r["seed"]}, '
        f'{r["commands_checked"]} commands checked '
        f'({r["unjudged"]} unjudged)',
        f'  safety violations: {r["safety_violations"]}'
        + ''.join(f'\n    {v}' for v in r['violations'][:5]),
        f'  missed deadlines: {r["missed_deadlines"]}; '
        f'tick jitter p99 {r["jitter_p99_ms"]:.2f} ms, '
        f'max {r["jitter_max_ms"]:.1f} ms',
        f'  policy RSS: {r["rss_mb_first"]} -> {r["rss_mb_last"]} MB, '
        f'growth {r["rss_growth_mb"]:+.2f} MB '
        f'(late median - early median); per minute {r["rss_mb_per_minute"]}',
        f'  faults: {sum(r["faults_injected"].values())} injected {r["faults_injected"]}; '
        f'recoveries failed {r["recoveries_failed"]}',
        f'  episodes: {r["episodes_succeeded"]} of {r["episodes_completed"]} succeeded '
        f'{r["episode_outcomes"]}',
        f'  machine: {r["machine"]}; logs in {r["logs"]}',
    ]
    lines += [f'  injection error: {e}' for e in r['injection_errors'][:5]]
    return '\n'.join(lines)
