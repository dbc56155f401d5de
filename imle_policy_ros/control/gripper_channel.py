# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Turns the policy's continuous gripper value into open / closed decisions that do not chatter.

A policy's gripper output (0 open .. 1 closed) sits near the threshold while it makes up
its mind, and samples from successive chunks disagree; a plain threshold would then
command the gripper open and closed at the control rate. Two guards: a hysteresis band
(closes above threshold + hysteresis, opens below threshold - hysteresis, keeps its state
in between) and a minimum dwell (no change within min_dwell seconds of the last one,
however the value moves). Time is injected (`now`), so the decisions are tested on
simulated time.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

OPEN = 0.0
CLOSED = 1.0
# Ticks are sums of float periods: 25 ticks of 0.02 s may come out 1e-16 short of 0.5 s,
# which must not cost a 26th tick. Far below any dwell that matters.
DWELL_TOLERANCE = 1e-9  # s


@dataclass(frozen=True)
class GripperDecision:
    """
    What to command: state 0.0 (open) or 1.0 (closed), and whether it just changed.

    state is None only while the state is unknown and no usable value has come yet: then
    nothing is commanded (an open command could drop what the gripper holds).
    """

    state: float | None
    changed: bool


class GripperChannel:
    """
    Open / closed decisions from gripper values, with hysteresis and a minimum dwell.

    threshold in (0, 1); hysteresis in [0, min(threshold, 1 - threshold)), so both edges of
    the band are inside (0, 1); min_dwell >= 0 s. `changes` counts the updates that
    returned changed=True (the first decision from an unknown state included).
    """

    def __init__(self, threshold: float = 0.5, hysteresis: float = 0.1, min_dwell: float = 0.5):
        threshold, hysteresis, min_dwell = float(threshold), float(hysteresis), float(min_dwell)
        problems = []
        if not 0.0 < threshold < 1.0:
            problems.append(f'threshold {threshold} must be in (0, 1)')
        elif not 0.0 <= hysteresis < min(threshold, 1.0 - threshold):
            problems.append(
                f'hysteresis {hysteresis} must be in [0, {min(threshold, 1.0 - threshold)}) '
                f'so that the band around the threshold {threshold} stays inside (0, 1)'
            )
        if not (math.isfinite(min_dwell) and min_dwell >= 0.0):
            problems.append(f'min_dwell {min_dwell} must be >= 0 s and finite')
        if problems:
            raise ValueError('gripper channel: ' + '; '.join(problems))
        self.threshold, self.hysteresis, self.min_dwell = threshold, hysteresis, min_dwell
        self.state: float | None = None
        self.changes = 0
        self._last_change = -math.inf

    def reset(self, state: float | None, now: float) -> None:
        """
        Set the known state: 0 open / 1 closed (e.g. the measured gripper), None: unknown.

        A measured value in between is taken as closed above the threshold. A known
        state that differs from the current one is a change of what is commanded, so the
        dwell starts again at `now`; a reset to the same state, or to unknown, keeps it.
        After a reset to unknown the first decision is taken by the threshold alone, at once.
        """
        known = None
        if state is not None and math.isfinite(float(state)):
            known = CLOSED if float(state) > self.threshold else OPEN
        if known is not None and self.state is not None and known != self.state:
            self._last_change = now
        self.state = known

    def update(self, value: float | None, now: float) -> GripperDecision:
        """Return the decision for the newest gripper value (None or non-finite: keep)."""
        if value is None or not math.isfinite(float(value)):
            return GripperDecision(self.state, False)
        value = float(value)
        if self.state is None:
            # nothing known to protect from chatter: the first decision is the plain threshold
            wanted = CLOSED if value > self.threshold else OPEN
        elif self.state == OPEN and value > self.threshold + self.hysteresis:
            wanted = CLOSED
        elif self.state == CLOSED and value < self.threshold - self.hysteresis:
            wanted = OPEN
        else:
            return GripperDecision(self.state, False)
        if self.state is not None and now - self._last_change < self.min_dwell - DWELL_TOLERANCE:
            return GripperDecision(self.state, False)
        self.state, self._last_change = wanted, now
        self.changes += 1
        return GripperDecision(wanted, True)
