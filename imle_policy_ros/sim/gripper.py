# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A parallel gripper behind a position interface with a speed limit, like the arm's joints.

One prismatic joint, `gripper_finger`, in metres: 0.04 open, 0.0 closed. A command is the
finger position (what a forward_command_controller on the gripper takes); the finger moves
straight to it at no more than 0.2 m/s, so closing from open takes 0.2 s. A command outside
the travel is clipped to it, as the arm clips to its joint limits.
"""

from __future__ import annotations

import math

from ..runtime.ee_layout import GripperSpec

GRIPPER_JOINT = 'gripper_finger'
GRIPPER_OPEN = 0.04  # m
GRIPPER_CLOSED = 0.0  # m
GRIPPER_MAX_SPEED = 0.2  # m/s
GRIPPER_SPEC = GripperSpec(
    GRIPPER_JOINT, open_position=GRIPPER_OPEN, closed_position=GRIPPER_CLOSED
)


def close_duration(speed: float = GRIPPER_MAX_SPEED) -> float:
    """Return the seconds the finger takes from open to closed."""
    return abs(GRIPPER_OPEN - GRIPPER_CLOSED) / speed


class Gripper:
    """The simulated gripper: `command` a finger position, `advance` time; read `position`."""

    joint_name = GRIPPER_JOINT

    def __init__(self, position: float = GRIPPER_OPEN, max_speed: float = GRIPPER_MAX_SPEED):
        if not max_speed > 0:
            raise ValueError(f'gripper max_speed must be > 0, got {max_speed}')
        self.max_speed = float(max_speed)
        self._lower = min(GRIPPER_OPEN, GRIPPER_CLOSED)
        self._upper = max(GRIPPER_OPEN, GRIPPER_CLOSED)
        self._position = self._checked(position, 'initial position')
        self._target = self._position
        self._velocity = 0.0

    def _checked(self, position, what: str) -> float:
        value = float(position)
        if not math.isfinite(value):
            # As for the arm: a NaN finger command is a broken producer, not a position.
            raise ValueError(f'gripper {what}: not finite: {value}')
        return min(max(value, self._lower), self._upper)

    def command(self, position) -> None:
        """Set the finger target in metres, clipped to the travel (non-finite: ValueError)."""
        self._target = self._checked(position, 'command')

    def advance(self, dt: float) -> None:
        """Move the finger toward its target by at most max_speed * dt."""
        if dt < 0:
            raise ValueError(f'dt must be >= 0, got {dt}')
        if dt == 0:
            return
        limit = self.max_speed * dt
        gap = self._target - self._position
        step = min(max(gap, -limit), limit)
        # Land exactly on the target when it is within this step: no float residue that
        # would leave a "closed" gripper at 1e-18 m, never equal to its command.
        self._position = self._target if abs(gap) <= limit else self._position + step
        self._velocity = step / dt

    @property
    def position(self) -> float:
        return self._position

    @property
    def velocity(self) -> float:
        """Mean finger velocity over the last `advance`, m/s (what joint_states reports)."""
        return self._velocity

    @property
    def target(self) -> float:
        return self._target

    @property
    def normalized(self) -> float:
        """Position as 0 open .. 1 closed (the ee layout's gripper value)."""
        return float(GRIPPER_SPEC.normalize(self._position))
