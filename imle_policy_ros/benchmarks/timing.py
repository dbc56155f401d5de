# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Timing primitives: interleaved repetitions, percentiles, and who else used the CPU.

Cases that are compared with each other are timed interleaved (in blocks, the order
flipping every round), so slow drifts of a shared machine hit all of them alike.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import time
from typing import Callable

import numpy as np


def summarize(samples_ms) -> dict:
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        'p50_ms': float(np.percentile(a, 50)),
        'p99_ms': float(np.percentile(a, 99)),
        'mean_ms': float(a.mean()),
        'min_ms': float(a.min()),
        'calls': int(a.size),
    }


def measure_interleaved(
    cases: dict[str, Callable[[], object]],
    rounds: int,
    block: int,
    warmup: int = 1,
    block_warmup: int = 1,
) -> dict[str, dict]:
    """
    Time every case rounds * block times, alternating the cases in blocks of `block`.

    Each case first runs `warmup` untimed calls; each block starts with `block_warmup`
    untimed calls, which absorb the other backend's thread pool still spinning on the
    cores. Returns case -> summarize(...).
    """
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    samples: dict[str, list] = {name: [] for name in names}
    clock = time.perf_counter
    for r in range(rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            fn, out = cases[name], samples[name]
            for _ in range(block_warmup):
                fn()
            for _ in range(block):
                t0 = clock()
                fn()
                out.append((clock() - t0) * 1e3)
    return {name: summarize(samples[name]) for name in names}


def time_calls(fn: Callable[[], object], calls: int, warmup: int = 0) -> dict:
    """Sequential timing of whole calls (for long ones such as a 100-step sampler)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1e3)
    return summarize(out)


class CpuMeter:
    """
    CPU time spent by OTHER processes while a block of work ran.

    /proc/stat's busy time minus this process's own CPU time (the load average cannot tell
    them apart). Child processes that this process started count as "other" until they are
    reaped.
    """

    def __init__(self):
        self._start = self._read()

    @staticmethod
    def _read():
        t = os.times()
        wall = time.perf_counter()
        try:
            fields = [int(v) for v in Path('/proc/stat').read_text().split('\n', 1)[0].split()[1:]]
        except (OSError, ValueError):
            return wall, t.user + t.system, None, None
        hz = os.sysconf('SC_CLK_TCK')
        user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
        return wall, t.user + t.system, (user + nice + system + irq + softirq) / hz, steal / hz

    def read(self) -> dict:
        wall0, own0, busy0, steal0 = self._start
        wall1, own1, busy1, steal1 = self._read()
        elapsed = max(wall1 - wall0, 1e-9)
        out = {'seconds': round(elapsed, 1), 'own_cores': round((own1 - own0) / elapsed, 2)}
        if busy0 is not None:
            out['other_cores'] = round(max(0.0, (busy1 - busy0) - (own1 - own0)) / elapsed, 2)
            out['steal_cores'] = round((steal1 - steal0) / elapsed, 2)
        return out


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


@contextlib.contextmanager
def torch_threads(n: int):
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
