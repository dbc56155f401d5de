# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Cartesian inputs on the planar arm: a pose target or a twist, solved to joint targets.

This is what a Cartesian motion controller (a target frame) or MoveIt Servo (twists) does in
front of the arm's position interface: a target pose is solved by inverse kinematics to a
joint target, and the joints then move to it as always, no faster than their velocity limit.
Of the two IK solutions (elbow up and down) the one nearest the current joints is taken, so
the arm never flips its elbow for a target it can reach without. A target outside the reach
or the joint limits is moved to the nearest point the arm can reach, and counted
(`clamped_targets`). A twist moves the target from where the tool is, at the twist's
velocity, while twists keep coming: one older than 0.1 s stops the motion (MoveIt Servo's
incoming-command timeout), so a teleop that dies leaves the arm standing.

The tool pose is (x, y, 0) with the identity orientation, because the arm has no wrist: its
tool is a point at the end of link 2 in the table plane, and the only angle it has (the
heading of link 2, shoulder + elbow) is fixed by the position and the elbow branch, so no
command could set it. Reporting it would make the pose say more than the robot can be told;
so a target's orientation, like its height, is ignored, and the demos' end-effector layout
learns no rotation (rotation 'none', the identity). Targets must be in base_link: a target
in another frame is refused (ValueError naming both), as there is no tf tree to transform it.
"""

from __future__ import annotations

import math

import numpy as np

from .planar_arm import ArmGeometry, forward_kinematics, inverse_kinematics, PlanarArm
from .sim_topics import BASE_FRAME

TWIST_TIMEOUT_S = 0.1
_LIMIT_TOLERANCE = 1e-9  # rad: IK round-off must not make a solution on a limit "outside"


def tool_pose(xy) -> np.ndarray:
    """Return the tool poses [..., 7] (x, y, 0, identity) of tool positions xy [..., 2]."""
    xy = np.asarray(xy, dtype=np.float64)
    pose = np.zeros(xy.shape[:-1] + (7,))
    pose[..., :2] = xy
    pose[..., 6] = 1.0
    return pose


def _within_limits(q: np.ndarray, geometry: ArmGeometry) -> np.ndarray:
    low = np.asarray(geometry.lower_limits) - _LIMIT_TOLERANCE
    high = np.asarray(geometry.upper_limits) + _LIMIT_TOLERANCE
    return np.all((q >= low) & (q <= high), axis=-1)


def ik_solutions(xy, geometry: ArmGeometry = ArmGeometry()) -> np.ndarray:
    """Return every joint solution [K, 2] (K = 0..) within the joint limits for a point xy [2]."""
    try:
        branches = [inverse_kinematics(xy, elbow_up, geometry) for elbow_up in (True, False)]
    except ValueError:  # out of reach
        return np.zeros((0, 2))
    # A shoulder wrapped to (-pi, pi] may have a twin 2 pi away inside wider limits.
    turns = np.array([[-2 * np.pi, 0.0], [0.0, 0.0], [2 * np.pi, 0.0]])
    candidates = (np.asarray(branches)[:, None, :] + turns[None]).reshape(-1, 2)
    return candidates[_within_limits(candidates, geometry)]


def _angles_in(optimum: float, low: float, high: float) -> list[float]:
    """Return the optimum's 2 pi twins inside [low, high] and both ends: an arc's candidates."""
    twins = [optimum + k * 2 * np.pi for k in (-1, 0, 1)]
    return [a for a in twins if low <= a <= high] + [low, high]


def boundary_candidates(xy, geometry: ArmGeometry = ArmGeometry()) -> np.ndarray:
    """
    Return joint positions [M, 2] holding the point of the reachable set nearest to xy [2].

    The reachable set is the image of the joint-limit box; its edge is made of the images of
    the box's edges (an elbow or the shoulder on a limit) and of the stretched elbow (elbow 0,
    where the arm is singular). Each is an arc of a circle, so the nearest point of each is
    its unconstrained optimum where that lies on the arc, else an end: a handful of points
    that hold the exact answer.
    """
    px, py = (float(v) for v in np.asarray(xy, dtype=np.float64).reshape(2))
    l1, l2 = geometry.link_lengths
    (s_low, e_low), (s_high, e_high) = geometry.lower_limits, geometry.upper_limits
    candidates = []
    # Elbow fixed (on a limit, or straight): the tool runs on a circle about the base.
    elbows = [e_low, e_high] + [e for e in (0.0, np.pi, -np.pi) if e_low <= e <= e_high]
    for elbow in elbows:
        offset = math.atan2(l2 * math.sin(elbow), l1 + l2 * math.cos(elbow))
        optimum = math.atan2(py, px) - offset
        candidates += [(s, elbow) for s in _angles_in(optimum, s_low, s_high)]
    # Shoulder on a limit: the tool runs on a circle of radius l2 about the elbow.
    for shoulder in (s_low, s_high):
        ex, ey = l1 * math.cos(shoulder), l1 * math.sin(shoulder)
        optimum = math.atan2(py - ey, px - ex) - shoulder
        candidates += [(shoulder, e) for e in _angles_in(optimum, e_low, e_high)]
    return np.asarray(candidates, dtype=np.float64)


def _nearest_to(options: np.ndarray, q_now: np.ndarray) -> np.ndarray:
    return options[int(np.argmin(np.linalg.norm(options - q_now, axis=1)))]


def solve(xy, q_now, geometry: ArmGeometry = ArmGeometry()) -> tuple[np.ndarray, bool]:
    """
    Return (joint target [2], clamped) putting the tool at xy [2], or as near as it gets.

    Of several solutions, the one nearest q_now. clamped: xy was out of reach or out of the
    joint limits, and the joint target puts the tool at the nearest reachable point instead.
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(2)
    q_now = np.asarray(q_now, dtype=np.float64).reshape(2)
    solutions = ik_solutions(xy, geometry)
    if len(solutions):
        return _nearest_to(solutions, q_now), False
    candidates = boundary_candidates(xy, geometry)
    distance = np.linalg.norm(forward_kinematics(candidates, geometry) - xy, axis=1)
    # Ties (a point on the base's axis, equally near both elbow limits): the nearer joints.
    nearest = candidates[distance <= distance.min() + 1e-12]
    return _nearest_to(nearest, q_now), True


def _finite(values, size: int, what: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.shape != (size,):
        raise ValueError(f'{what}: expected {size} values, got {values.shape[0]}')
    if not np.isfinite(values).all():
        raise ValueError(f'{what}: not finite: {values.tolist()}')
    return values


class CartesianArm:
    """
    Cartesian commands on a PlanarArm: `command_pose`, `command_twist`, then `advance`.

    `command_joints` is the joint interface; each kind of command replaces the others. The
    twist timeout runs on this object's clock, the time it has been advanced.
    """

    def __init__(
        self,
        arm: PlanarArm,
        base_frame: str = BASE_FRAME,
        twist_timeout: float = TWIST_TIMEOUT_S,
    ):
        if not twist_timeout > 0:
            raise ValueError(f'twist_timeout must be > 0, got {twist_timeout}')
        self.arm = arm
        self.base_frame = base_frame
        self.twist_timeout = float(twist_timeout)
        self.clamped_targets = 0
        self._time = 0.0
        self._target_xy: np.ndarray | None = None
        self._twist: np.ndarray | None = None
        self._twist_time = 0.0
        self._twist_clamped = False

    def _check_frame(self, frame_id: str, what: str) -> None:
        if frame_id != self.base_frame:
            raise ValueError(
                f'{what} in frame {frame_id!r}: this arm takes them in {self.base_frame!r} '
                f'only; transform it to {self.base_frame!r} first'
            )

    def _track(self, xy: np.ndarray) -> bool:
        q, clamped = solve(xy, self.arm.positions, self.arm.geometry)
        self._target_xy = forward_kinematics(q, self.arm.geometry) if clamped else xy.copy()
        self.arm.command(q)
        return clamped

    def command_pose(self, pose, frame_id: str = BASE_FRAME) -> None:
        """Track a target pose (x, y, z, qx, qy, qz, qw); z and the orientation are ignored."""
        self._check_frame(frame_id, 'pose target')
        pose = _finite(pose, 7, 'pose target')
        self._twist = None
        if self._track(pose[:2]):
            self.clamped_targets += 1

    def command_twist(self, linear, angular=(0.0, 0.0, 0.0), frame_id: str = BASE_FRAME) -> None:
        """
        Move at linear (x, y, z) m/s for up to twist_timeout from now, or until the next twist.

        Linear z and the angular velocity are ignored (the arm moves in the plane only).
        """
        self._check_frame(frame_id, 'twist')
        linear = _finite(linear, 3, 'twist linear')
        _finite(angular, 3, 'twist angular')
        self._twist = linear[:2].copy()
        self._twist_time = self._time
        self._twist_clamped = False

    def command_joints(self, q_target) -> None:
        """Joint position target (clipped to the limits); drops any pose target or twist."""
        self.arm.command(q_target)
        self._twist, self._target_xy = None, None

    def stop(self) -> None:
        """Drop a running twist (a safety stop): the arm keeps its present joint target."""
        self._twist = None

    def advance(self, dt: float) -> None:
        """Let dt pass: a fresh twist moves the target on, then the joints move toward it."""
        if dt < 0:
            raise ValueError(f'dt must be >= 0, got {dt}')
        if self._twist is not None:
            moving = min(dt, self._twist_time + self.twist_timeout - self._time)
            if moving > 0:
                # From the measured tool, not the last target: a target that ran ahead of a
                # slower arm would keep the arm moving after the twists stop.
                clamped = self._track(self.arm.ee_position + self._twist * moving)
                if clamped and not self._twist_clamped:
                    self.clamped_targets += 1
                    self._twist_clamped = True
            else:
                self._twist = None
        self.arm.advance(dt)
        self._time += dt

    @property
    def time(self) -> float:
        return self._time

    @property
    def twist_active(self) -> bool:
        """Whether a twist is moving the target (False once it timed out)."""
        return self._twist is not None and self._time < self._twist_time + self.twist_timeout

    @property
    def ee_pose(self) -> np.ndarray:
        """Measured tool pose [7] in base_link."""
        return tool_pose(self.arm.ee_position)

    @property
    def target_pose(self) -> np.ndarray | None:
        """Cartesian target tracked [7] (after clamping); None under joint commands."""
        return None if self._target_xy is None else tool_pose(self._target_xy)
