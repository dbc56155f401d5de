# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Time as the controller sees it: injected, so tests run on simulated time.

All times are float seconds on one time base: the stamps of the inputs (header stamps on
the robot, the simulator's clock in eval) and the clock's `now()` must agree.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything with a now() in seconds."""

    def now(self) -> float: ...


class MonotonicClock:
    """Wall time that never jumps backwards (for code that has no ROS clock)."""

    def now(self) -> float:
        return time.monotonic()


class SimulatedClock:
    """A clock that moves only when told to; `set` may go backwards (a simulation reset)."""

    def __init__(self, start: float = 0.0):
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError('advance() takes a non-negative duration; use set() to jump back')
        self._now += seconds
        return self._now

    def set(self, t: float) -> None:  # noqa: A003
        self._now = float(t)
