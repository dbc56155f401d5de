# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
How regular a periodic loop really is: the last few hundred periods between ticks.

Used by the node's diagnostics (control rate, jitter) and by the benchmarks, so both
report the same figures: jitter is the deviation of each period from the nominal one.
"""

from __future__ import annotations

from collections import deque

import numpy as np


class RateMeter:
    """The periods between a periodic loop's ticks, against the nominal one."""

    def __init__(self, nominal_period: float, window: int | None = 500):
        """window: the periods kept (None: all of them, for a whole run's figures)."""
        self.nominal_period = float(nominal_period)
        self._periods: deque[float] = deque(maxlen=window)
        self._last: float | None = None
        self.longest_gap = 0.0  # since the last reset_gap()

    def tick(self, now: float) -> None:
        if self._last is not None and now >= self._last:
            period = now - self._last
            self._periods.append(period)
            self.longest_gap = max(self.longest_gap, period)
        self._last = now

    def skip(self) -> None:
        """Start a new run at the next tick: no period is measured across a known gap."""
        self._last = None

    def reset_gap(self) -> None:
        self.longest_gap = 0.0

    @property
    def count(self) -> int:
        return len(self._periods)

    def rate_hz(self) -> float:
        mean = float(np.mean(self._periods)) if self._periods else 0.0
        return 1.0 / mean if mean > 0 else 0.0  # time standing still (paused sim time): no rate

    def jitter_ms(self, percentile: float) -> float:
        if not self._periods:
            return 0.0
        deviation = np.abs(np.asarray(self._periods) - self.nominal_period)
        return float(np.percentile(deviation, percentile) * 1e3)
