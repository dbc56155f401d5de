# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Where the inputs go: the running policy's observation history, and a staged policy's.

Frames and joint states arrive on any thread. They are added to the history of the
running policy (a frame is encoded once, as it arrives) and, while a new model waits to
take over, to its history too, so that it has a full observation window of its own when
it does. The switch itself happens between inferences (`swap_if_ready`), never in the
middle of one; PolicyController decides when.
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
from typing import Callable

import numpy as np

from . import low_dim_state
from .controller_types import ControllerStats
from .interfaces import Policy
from .model_switch import check_switchable
from .observation_history import InputRejected, ObservationHistory


@dataclass(frozen=True)
class _Running:
    policy: Policy
    history: ObservationHistory
    label: str


def _running(policy: Policy, label: str) -> _Running:
    low_dim_state.check_supported(policy.spec)
    return _Running(policy, low_dim_state.new_history(policy.spec, policy.encode), label)


class PolicyInputs:
    """The running policy's observation history, and a staged policy's."""

    def __init__(self, policy: Policy, stats: ControllerStats, label: str = ''):
        self._current = _running(policy, label)
        self._staged: _Running | None = None
        self._lock = threading.Lock()  # guards which histories inputs go to, and the stats
        self._stats = stats

    @property
    def policy(self) -> Policy:
        return self._current.policy

    @property
    def history(self) -> ObservationHistory:
        return self._current.history

    @property
    def label(self) -> str:
        return self._current.label

    @property
    def switch_pending(self) -> bool:
        return self._staged is not None

    # ---- inputs (any thread) ----------------------------------------------------------
    def add(self, source: str, add: Callable[[ObservationHistory], None]) -> str | None:
        """Add an input to every history; return None, or why it was refused (counted)."""
        with self._lock:
            histories = [self.history] + ([self._staged.history] if self._staged else [])
        try:
            for history in histories:  # a staged model sees the same inputs
                add(history)
            return None
        except (InputRejected, ValueError) as exc:
            return self.reject(source, str(exc))

    def reject(self, source: str, reason: str) -> str:
        """Count an input refused here or before it got here; return the reason."""
        with self._lock:
            self._stats.rejected_inputs += 1
            by_source = self._stats.rejected_by_source
            by_source[source] = by_source.get(source, 0) + 1
            self._stats.last_error = reason
        return reason

    def measured_actions(self) -> np.ndarray | None:
        """Return where the arm is in the action space (joints in action order, or the pose)."""
        return low_dim_state.measured_action(self.policy.spec, self.history)

    def measured_gripper(self) -> float | None:
        return low_dim_state.measured_gripper(self.policy.spec, self.history)

    # ---- model switch -----------------------------------------------------------------
    def stage(self, policy: Policy, label: str = '') -> None:
        """
        Queue `policy` to replace the running one; it starts seeing the inputs now.

        Raises ModelSwitchRefused (a ValueError) when it cannot; the running policy is
        untouched.
        """
        check_switchable(self.policy.spec, policy.spec)
        staged = _running(policy, label)
        staged.history.copy_arm_state_from(self.history)
        with self._lock:
            self._staged = staged

    def swap_if_ready(self) -> bool:
        """Let the staged policy take over once its history covers an observation window."""
        staged = self._staged
        if staged is None or not staged.history.covers_window():
            return False
        with self._lock:
            self._current, self._staged = staged, None
        self._stats.model_switches += 1
        return True

    def clear(self) -> None:
        """Forget every input (a staged model stays staged, with no inputs either)."""
        self.history.clear()
        staged = self._staged
        if staged is not None:
            staged.history.clear()
