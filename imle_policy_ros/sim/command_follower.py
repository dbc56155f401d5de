# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What the simulated arm's controllers do with a command message, without ROS.

Two ros2_control controllers are imitated, so the policy node is driven exactly as on a
real arm: a JointTrajectoryController (a new trajectory replaces the running one and
starts now from where the last one was, positions interpolated linearly, the last
point held) and a forward_position_controller (the position is taken as is). Joints
are matched by name; a message that names other joints, or with non-increasing times
or non-finite values, is refused with the reason and changes nothing.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


class CommandRefused(ValueError):
    pass


class CommandFollower:
    """The imitated controllers of one arm (see the module doc), holding its current target."""

    def __init__(self, joint_names: Sequence[str], start_positions):
        self.joint_names = tuple(joint_names)
        self.hold(start_positions, 0.0)

    def hold(self, positions, now: float) -> None:
        """Stop at `positions` (reset, or before any command)."""
        self._times = np.array([now])
        self._points = np.asarray(positions, dtype=np.float64)[None].copy()

    def target(self, now: float) -> np.ndarray:
        return np.array(
            [np.interp(now, self._times, self._points[:, j]) for j in range(self._points.shape[1])]
        )

    def follow_trajectory(
        self, now: float, names: Sequence[str], times_from_start, positions
    ) -> None:
        times = np.asarray(times_from_start, dtype=np.float64)
        points = self._ordered(names, positions, 'joint trajectory')
        if len(times) != len(points) or len(times) == 0:
            raise CommandRefused(f'joint trajectory: {len(points)} points but {len(times)} times')
        if times[0] <= 0 or np.any(np.diff(times) <= 0) or not np.all(np.isfinite(times)):
            raise CommandRefused(
                'joint trajectory: time_from_start must be positive and strictly increasing'
            )
        start = self.target(now)
        self._times = np.concatenate([[now], now + times])
        self._points = np.vstack([start[None], points])

    def follow_positions(self, now: float, positions) -> None:
        """forward_position_controller: data in the controller's joint order."""
        points = self._ordered(self.joint_names, [positions], 'position command')
        self.hold(points[0], now)

    def _ordered(self, names, positions, what: str) -> np.ndarray:
        points = np.asarray(positions, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != len(names):
            raise CommandRefused(
                f'{what}: {points.shape[-1] if points.ndim else 0} values for {len(names)} joints '
                f'({list(names)})'
            )
        if sorted(names) != sorted(self.joint_names):
            raise CommandRefused(
                f'{what}: joints {list(names)}; this arm has {list(self.joint_names)}'
            )
        if not np.all(np.isfinite(points)):
            raise CommandRefused(f'{what}: non-finite position')
        index = [list(names).index(n) for n in self.joint_names]
        return points[:, index]
