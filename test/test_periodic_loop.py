# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
PeriodicLoop: a few real-thread checks with loose bounds, and the deadline arithmetic.

The deadline arithmetic is checked exactly, on a fake clock (the loop body run in the
test's own thread).
"""

from __future__ import annotations

import threading
import time

from imle_policy_ros.control import periodic_loop
from imle_policy_ros.control.periodic_loop import PeriodicLoop
import pytest


def wait_until(condition, timeout=5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


@pytest.mark.parametrize('period', [0.0, -0.01, float('nan')])
def test_invalid_period_refused(period):
    with pytest.raises(ValueError, match='period'):
        PeriodicLoop(period, lambda: None)


# ---- in a real thread ------------------------------------------------------------------
def test_calls_back_at_roughly_the_period():
    calls = []
    loop = PeriodicLoop(0.01, lambda: calls.append(time.monotonic()), name='test-rate').start()
    try:
        time.sleep(0.3)
    finally:
        loop.stop()
    assert 15 <= len(calls) <= 40, len(calls)


def test_stop_ends_the_loop():
    calls = []
    loop = PeriodicLoop(0.01, lambda: calls.append(1)).start()
    assert wait_until(lambda: len(calls) >= 3)
    loop.stop()
    assert not loop.running
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count


def test_stop_from_inside_the_callback():
    calls = []

    def callback():
        calls.append(1)
        if len(calls) == 3:
            loop.stop()

    loop = PeriodicLoop(0.005, callback)
    loop.start()
    assert wait_until(lambda: not loop.running)
    assert len(calls) == 3


def test_exception_goes_to_on_error_and_the_loop_goes_on():
    errors = []
    calls = []
    enough = threading.Event()

    def callback():
        calls.append(1)
        if len(calls) <= 2:
            raise RuntimeError(f'boom {len(calls)}')
        if len(calls) >= 5:
            enough.set()

    loop = PeriodicLoop(0.005, callback, on_error=errors.append).start()
    try:
        assert enough.wait(5.0)
    finally:
        loop.stop()
    assert [str(e) for e in errors] == ['boom 1', 'boom 2']
    assert all(isinstance(e, RuntimeError) for e in errors)


def test_exception_without_on_error_ends_the_loop(monkeypatch):
    seen = []
    monkeypatch.setattr(threading, 'excepthook', lambda args: seen.append(args.exc_value))

    def callback():
        raise KeyError('no handler')

    loop = PeriodicLoop(0.005, callback).start()
    assert wait_until(lambda: not loop.running)
    assert len(seen) == 1 and isinstance(seen[0], KeyError)


def test_slow_callback_skips_ticks_instead_of_a_burst():
    calls = []
    stall_end = []

    def callback():
        calls.append(time.monotonic())
        if len(calls) == 3:
            time.sleep(0.05)
            stall_end.append(time.monotonic())

    loop = PeriodicLoop(0.01, callback).start()
    try:
        assert wait_until(lambda: len(calls) >= 8)
    finally:
        loop.stop()
    end = stall_end[0]
    right_after = [t for t in calls if end <= t < end + 0.001]
    assert len(right_after) <= 2, [round((t - end) * 1e3, 3) for t in calls if t >= end]
    assert loop.skipped_ticks >= 3


# ---- deadline arithmetic on a fake clock -------------------------------------------------
class FakeClock:
    """Stands in for the time module: monotonic() reads `now`, which the test advances."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now


class FakeStopEvent:
    """Event whose wait() lets the fake time pass instead of blocking."""

    def __init__(self, clock: FakeClock):
        self.clock = clock
        self.flag = False
        self.waits = []

    def is_set(self):
        return self.flag

    def set(self):  # noqa: A003
        self.flag = True

    def wait(self, timeout=None):
        self.waits.append(timeout)
        self.clock.now += timeout
        return self.flag


def run_fake(monkeypatch, costs, period=0.01):
    """
    Run the loop body for len(costs) calls; call i takes costs[i] s.

    Returns (call times, loop).
    """
    clock = FakeClock()
    monkeypatch.setattr(periodic_loop, 'time', clock)
    calls = []

    def callback():
        calls.append(clock.now)
        clock.now += costs[len(calls) - 1]
        if len(calls) == len(costs):
            loop._stop.set()

    loop = PeriodicLoop(period, callback)
    loop._stop = FakeStopEvent(clock)
    loop._run()
    return calls, loop


def test_deadlines_are_absolute_so_jitter_does_not_drift(monkeypatch):
    costs = [0.001, 0.009, 0.004, 0.0, 0.0095, 0.002] * 5
    calls, loop = run_fake(monkeypatch, costs)
    assert calls == pytest.approx([0.01 * k for k in range(len(costs))], abs=1e-9)
    assert loop.skipped_ticks == 0


def test_late_by_less_than_a_period_runs_at_once_and_keeps_the_grid(monkeypatch):
    calls, loop = run_fake(monkeypatch, [0.001, 0.001, 0.015, 0.001, 0.001])
    assert calls == pytest.approx([0.0, 0.01, 0.02, 0.035, 0.04], abs=1e-9)
    assert loop.skipped_ticks == 0


def test_stall_skips_missed_deadlines(monkeypatch):
    calls, loop = run_fake(monkeypatch, [0.001, 0.001, 0.055, 0.001, 0.001, 0.001])
    # the stall ends at 0.075: deadlines 0.03..0.06 are skipped, 0.07 runs late, then the grid
    assert calls == pytest.approx([0.0, 0.01, 0.02, 0.075, 0.08, 0.09], abs=1e-9)
    assert loop.skipped_ticks == 4
    assert all(w >= 0 for w in loop._stop.waits)
