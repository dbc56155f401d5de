# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A 2-link planar arm behind a position interface with a velocity limit.

This is what a ros2_control position interface does to a real arm: the controller
sets a target per joint, and each joint moves straight to it no faster than its
velocity limit. No dynamics beyond that, so the arm is exact and deterministic; a
command the arm can reach within one step is reached exactly.

Frame (REP-103, seen from above): base at the origin, +x forward, +y left; joint
angles counter-clockwise, the shoulder measured from +x, the elbow from link 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

JOINT_NAMES = ('shoulder', 'elbow')


@dataclass(frozen=True)
class ArmGeometry:
    link_lengths: tuple[float, float] = (0.5, 0.45)  # m
    # The elbow range lets the arm fold enough to bring the tool close to the base
    # (reach down to ~0.17 m) without ever passing through the straight-back pose.
    lower_limits: tuple[float, float] = (-2.5, -2.8)  # rad
    upper_limits: tuple[float, float] = (2.5, 2.8)  # rad
    max_velocity: float = 1.5  # rad/s, per joint

    @property
    def reach(self) -> tuple[float, float]:
        """(min, max) distance of the tool from the base, ignoring joint limits."""
        l1, l2 = self.link_lengths
        return abs(l1 - l2), l1 + l2


def forward_kinematics(q, geometry: ArmGeometry = ArmGeometry()) -> np.ndarray:
    """Tool position [..., 2] of joint positions q [..., 2]."""
    q = np.asarray(q, dtype=np.float64)
    l1, l2 = geometry.link_lengths
    a1, a12 = q[..., 0], q[..., 0] + q[..., 1]
    return np.stack(
        [l1 * np.cos(a1) + l2 * np.cos(a12), l1 * np.sin(a1) + l2 * np.sin(a12)], axis=-1
    )


def link_points(q, geometry: ArmGeometry = ArmGeometry()) -> np.ndarray:
    """[3, 2]: base, elbow and tool positions of one configuration q [2]."""
    q = np.asarray(q, dtype=np.float64)
    l1, _ = geometry.link_lengths
    elbow = np.array([l1 * np.cos(q[0]), l1 * np.sin(q[0])])
    return np.stack([np.zeros(2), elbow, forward_kinematics(q, geometry)])


def inverse_kinematics(
    xy, elbow_up: bool = True, geometry: ArmGeometry = ArmGeometry()
) -> np.ndarray:
    """
    Joint positions [..., 2] putting the tool at xy [..., 2] (analytic, exact).

    elbow_up=True picks the branch with elbow <= 0, i.e. the elbow to the left of the
    base-to-tool line (the "elbow up" pose of an arm drawn in a vertical plane).
    Raises ValueError for a point out of reach; joint limits are not applied here
    (the arm clips commands), so callers that care check them.
    """
    xy = np.asarray(xy, dtype=np.float64)
    l1, l2 = geometry.link_lengths
    r2 = (xy**2).sum(-1)
    cos_elbow = (r2 - l1**2 - l2**2) / (2 * l1 * l2)
    # A hair of tolerance so points exactly on the reach boundary still solve.
    if np.any(np.abs(cos_elbow) > 1 + 1e-9):
        raise ValueError(f'point(s) out of reach {geometry.reach}: distance {np.sqrt(r2.max())}')
    elbow = np.arccos(np.clip(cos_elbow, -1.0, 1.0))
    if elbow_up:
        elbow = -elbow
    shoulder = np.arctan2(xy[..., 1], xy[..., 0]) - np.arctan2(
        l2 * np.sin(elbow), l1 + l2 * np.cos(elbow)
    )
    # Wrap to (-pi, pi] so the shoulder stays in the range the joint limits speak of.
    shoulder = (shoulder + np.pi) % (2 * np.pi) - np.pi
    return np.stack([shoulder, elbow], axis=-1)


class PlanarArm:
    """The simulated arm: `command` a target, `advance` time; read `positions`."""

    joint_names = JOINT_NAMES

    def __init__(self, q0, geometry: ArmGeometry = ArmGeometry()):
        self.geometry = geometry
        self._lower = np.asarray(geometry.lower_limits, dtype=np.float64)
        self._upper = np.asarray(geometry.upper_limits, dtype=np.float64)
        self._q = self._checked(q0, 'initial position')
        self._target = self._q.copy()
        self._velocity = np.zeros(2)

    def _checked(self, q, what: str) -> np.ndarray:
        q = np.asarray(q, dtype=np.float64).reshape(-1)
        if q.shape != (2,):
            raise ValueError(f'{what}: expected 2 joint positions {JOINT_NAMES}, got {q.shape[0]}')
        if not np.isfinite(q).all():
            # A NaN target would freeze or fling a real arm; refuse it loudly.
            raise ValueError(f'{what}: not finite: {q.tolist()}')
        return np.clip(q, self._lower, self._upper)

    def reset(self, q) -> None:
        """Teleport to q (clipped to the limits) and hold there."""
        self._q = self._checked(q, 'reset position')
        self._target = self._q.copy()
        self._velocity = np.zeros(2)

    def command(self, q_target) -> None:
        """Set the position target, clipped to the joint limits (as a controller would)."""
        self._target = self._checked(q_target, 'command')

    def advance(self, dt: float) -> None:
        """Move each joint toward its target by at most max_velocity * dt."""
        if dt < 0:
            raise ValueError(f'dt must be >= 0, got {dt}')
        if dt == 0:
            return
        step = np.clip(
            self._target - self._q,
            -self.geometry.max_velocity * dt,
            self.geometry.max_velocity * dt,
        )
        self._q = self._q + step
        self._velocity = step / dt

    @property
    def positions(self) -> np.ndarray:
        return self._q.copy()

    @property
    def velocities(self) -> np.ndarray:
        """Mean joint velocity over the last `advance` (what joint_states reports)."""
        return self._velocity.copy()

    @property
    def target(self) -> np.ndarray:
        return self._target.copy()

    @property
    def ee_position(self) -> np.ndarray:
        return forward_kinematics(self._q, self.geometry)

    def link_points(self) -> np.ndarray:
        return link_points(self._q, self.geometry)
