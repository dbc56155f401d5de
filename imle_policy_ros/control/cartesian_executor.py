# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Executes time-indexed end-effector pose chunks: one safe Cartesian command for any moment.

The Cartesian counterpart of `chunk_executor`, with the same methods and the same rules: a
chunk's waypoints carry absolute times, so a late chunk starts further along; between
waypoints the pose is interpolated (position linearly, rotation by SLERP); at a switch the
new chunk is cross-faded in over `blend_time`; when the chunk runs out the last waypoint is
held, never extrapolated. Every command is clipped to the workspace box and then limited
relative to the previous command: the position step by its norm (the step is scaled, so its
direction is kept) and the rotation step by its angle (a SLERP part of the way). Commanded
quaternions never flip sign from one command to the next: the same rotation, but a consumer
that interpolates components would spin the long way round.

Poses are (x, y, z, qx, qy, qz, qw) in the base frame (runtime/rotations.py). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chunk_executor import ChunkSwitching
from ..runtime import rotations


def turn_angle(a, b) -> np.ndarray:
    """
    Return the rotation angle (rad, in [0, pi]) from quaternions a to b, per pair.

    From the relative rotation's vector part and scalar part (atan2), which stays exact for
    the tiny per-tick turns where an arccos of the dot product loses half the digits.
    """
    relative = rotations.multiply(rotations.conjugate(rotations.normalized(a)), b)
    relative = rotations.normalized(relative)
    s = np.linalg.norm(relative[..., :3], axis=-1)
    return 2.0 * np.arctan2(s, np.abs(relative[..., 3]))


def _aligned(q: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Return q or -q (the same rotation), whichever is on reference's side (dot >= 0)."""
    return -q if float(np.dot(q, reference)) < 0.0 else q


def _frozen(array) -> np.ndarray:
    array = np.array(array, dtype=np.float64)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PoseChunk:
    """
    Target poses at absolute times, from one inference.

    times [K] absolute, strictly increasing; poses [K, 7] (quaternions are normalized and
    made sign-continuous here); t_obs the stamp of the observation the chunk was computed
    from; gripper [K] (0 open .. 1 closed) or None. Raises ValueError for anything else.
    """

    times: np.ndarray
    poses: np.ndarray
    t_obs: float
    gripper: np.ndarray | None = None

    def __post_init__(self) -> None:
        times = np.asarray(self.times, dtype=np.float64).reshape(-1)
        poses = np.asarray(self.poses, dtype=np.float64)
        if len(times) == 0 or poses.shape != (len(times), rotations.POSE_SIZE):
            raise ValueError(
                f'a pose chunk needs K >= 1 times and poses [K, 7], got {times.shape} and '
                f'{poses.shape}'
            )
        if not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
            raise ValueError('pose chunk times must be finite and strictly increasing')
        if not np.all(np.isfinite(poses[:, :3])):
            raise ValueError('pose chunk positions must be finite')
        why = rotations.quaternion_problem(poses[:, 3:])
        if why:
            raise ValueError(f'pose chunk: {why}')
        poses = np.concatenate(
            [poses[:, :3], rotations.continuous(rotations.normalized(poses[:, 3:]))], axis=1
        )
        object.__setattr__(self, 'times', _frozen(times))
        object.__setattr__(self, 'poses', _frozen(poses))
        object.__setattr__(self, 't_obs', float(self.t_obs))
        if self.gripper is not None:
            gripper = np.asarray(self.gripper, dtype=np.float64).reshape(-1)
            if gripper.shape != times.shape:
                raise ValueError(
                    f'pose chunk gripper needs {len(times)} values, got {gripper.shape}'
                )
            object.__setattr__(self, 'gripper', _frozen(gripper))

    @property
    def end_time(self) -> float:
        return float(self.times[-1])

    def pose_at(self, t: float) -> np.ndarray:
        """
        Return the pose [7] at time t: position linear, rotation SLERP between the waypoints.

        Before the first waypoint the first, after the last the last (a hold, not an
        extrapolation).
        """
        if t <= self.times[0]:
            return self.poses[0].copy()
        if t >= self.times[-1]:
            return self.poses[-1].copy()
        k = int(np.searchsorted(self.times, t, side='right')) - 1
        w = (t - self.times[k]) / (self.times[k + 1] - self.times[k])
        a, b = self.poses[k], self.poses[k + 1]
        position = (1.0 - w) * a[:3] + w * b[:3]
        return np.concatenate([position, rotations.slerp(a[3:], b[3:], w)])

    def gripper_at(self, t: float) -> float | None:
        """Return the gripper value at time t, linear between waypoints (held at the ends)."""
        if self.gripper is None:
            return None
        return float(np.interp(t, self.times, self.gripper))


@dataclass(frozen=True, eq=False)
class CartesianLimits:
    """
    What the end effector may do, in the base frame.

    workspace_lower, workspace_upper [3]  m, finite, lower < upper on every axis: the box
                                          every commanded position stays in
    max_linear_speed                      m/s, finite, > 0: of the position, as a vector
    max_angular_speed                     rad/s, finite, > 0: of the orientation
    max_tracking_error                    m, > 0 (inf: never): the distance between the
                                          commanded and the measured position above which
                                          the arm is not following
    max_tracking_angle                    rad, > 0 (inf: never): the same for the rotation
    """

    workspace_lower: np.ndarray
    workspace_upper: np.ndarray
    max_linear_speed: float
    max_angular_speed: float
    max_tracking_error: float = 0.05
    max_tracking_angle: float = 0.3

    def __post_init__(self) -> None:
        lower = np.asarray(self.workspace_lower, dtype=np.float64).reshape(-1)
        upper = np.asarray(self.workspace_upper, dtype=np.float64).reshape(-1)
        problems = []
        if lower.shape != (3,) or upper.shape != (3,):
            problems.append(
                f'workspace_lower and workspace_upper need 3 values (x, y, z, m), got '
                f'{lower.size} and {upper.size}'
            )
        elif not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
            problems.append('the workspace box must be finite (m, in the base frame)')
        elif np.any(lower >= upper):
            problems.append(
                f'workspace_lower {lower.tolist()} must be below workspace_upper '
                f'{upper.tolist()} on every axis'
            )
        for name, unit in (('max_linear_speed', 'm/s'), ('max_angular_speed', 'rad/s')):
            value = float(getattr(self, name))
            if not (np.isfinite(value) and value > 0):
                problems.append(f'{name} {value} must be positive and finite ({unit})')
            object.__setattr__(self, name, value)
        for name, unit in (('max_tracking_error', 'm'), ('max_tracking_angle', 'rad')):
            value = float(getattr(self, name))
            if not value > 0:  # also refuses NaN
                problems.append(f'{name} {value} must be positive ({unit}; inf: never checked)')
            object.__setattr__(self, name, value)
        if problems:
            raise ValueError('Cartesian limits: ' + '; '.join(problems))
        object.__setattr__(self, 'workspace_lower', _frozen(lower))
        object.__setattr__(self, 'workspace_upper', _frozen(upper))

    def contains(self, poses, tolerance: float = 1e-9) -> bool:
        """Return whether every position of poses [..., 7] (or [..., 3]) is in the box."""
        positions = np.asarray(poses, dtype=np.float64)[..., :3]
        return bool(
            np.all(positions >= self.workspace_lower - tolerance)
            and np.all(positions <= self.workspace_upper + tolerance)
        )

    def clip(self, pose) -> np.ndarray:
        """Return a copy of pose [..., 7] with its position clipped into the box."""
        pose = np.array(pose, dtype=np.float64)
        pose[..., :3] = np.clip(pose[..., :3], self.workspace_lower, self.workspace_upper)
        return pose


class CartesianExecutor(ChunkSwitching):
    """Turns the active pose chunk into one limited end-effector command for any moment."""

    def __init__(self, limits: CartesianLimits, blend_time: float = 0.1):
        self.limits = limits
        self.blend_time = blend_time
        self.active: PoseChunk | None = None
        self._blend_from: PoseChunk | None = None  # the chunk being faded out
        self._blend_hold: np.ndarray | None = None  # or the held pose being faded out
        self._switch_time = -np.inf
        self.last_command: np.ndarray | None = None
        self._last_time: float | None = None
        self.last_twist: tuple[np.ndarray, np.ndarray] = (np.zeros(3), np.zeros(3))

    # ---- state changes ----------------------------------------------------------------
    def start_from(self, pose, now: float) -> None:
        """
        (Re)start at the end effector's measured pose with no chunk.

        The pose is clipped into the workspace, and its quaternion's sign follows the last
        command's, so the stream stays continuous. Raises ValueError for a pose that is not
        one (the caller checks its inputs; a NaN must never become the held command).
        """
        pose = np.asarray(pose, dtype=np.float64).reshape(-1)
        why = rotations.quaternion_problem(pose[3:]) if pose.shape == (7,) else 'not 7 values'
        if why or not np.all(np.isfinite(pose[:3])):
            raise ValueError(f'cannot start from the pose {pose.tolist()}: {why or "not finite"}')
        pose = self.limits_clip(np.concatenate([pose[:3], rotations.normalized(pose[3:])]))
        if self.last_command is not None:
            pose[3:] = _aligned(pose[3:], self.last_command[3:])
        self.active = self._blend_from = None
        self._blend_hold = None
        self.last_command = pose
        self._last_time = now
        self.last_twist = (np.zeros(3), np.zeros(3))

    def switch_to(self, chunk: PoseChunk, now: float) -> float:
        """
        Make `chunk` the active one, cross-fading from what was being commanded.

        Returns the jump at the boundary: the distance (m) between the last commanded
        position and where the new chunk would put the end effector now (a diagnostic of how
        much the plans disagree).
        """
        jump = (
            float(np.linalg.norm(chunk.pose_at(now)[:3] - self.last_command[:3]))
            if self.last_command is not None
            else 0.0
        )
        self._take_over(chunk, now)
        return jump

    # ---- output -----------------------------------------------------------------------
    def command(self, now: float) -> np.ndarray | None:
        """Return the pose [7] to command at `now` (None before any start); advance the state."""
        if self.last_command is None:
            self.last_twist = (np.zeros(3), np.zeros(3))
            return None
        previous = self.last_command
        elapsed = max(0.0, now - self._last_time) if self._last_time is not None else 0.0
        if self.active is None:
            command = previous.copy()  # a hold repeats the last command exactly
        else:
            command = self._step(previous, self._blended_target(now), elapsed)
        self.last_twist = self._twist(previous, command, elapsed)
        self.last_command, self._last_time = command, now
        return command

    def remaining_waypoints(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """
        Return the waypoints still ahead (times from now [K], poses [K, 7]).

        For trajectory interfaces. Each is limited like the streamed commands: in the
        workspace, and reachable from the previous one within the speed limits. Empty when
        there is no chunk.
        """
        if self.active is None or self.last_command is None:
            return np.zeros(0), np.zeros((0, rotations.POSE_SIZE))
        times, poses = [], []
        previous, previous_t = self.last_command, now
        for t in self.active.times[self.active.times > now]:
            previous = self._step(previous, self._blended_target(float(t)), t - previous_t)
            previous_t = t
            times.append(t - now)
            poses.append(previous)
        return np.asarray(times), np.asarray(poses).reshape(len(times), rotations.POSE_SIZE)

    def gripper_target(self, now: float) -> float | None:
        """Return the active chunk's gripper value at `now` (None: no chunk or no gripper)."""
        return self.active.gripper_at(now) if self.active is not None else None

    def tracking_error(self, measured_pose) -> tuple[float, float]:
        """Return (m, rad) between the last command and the measured pose ((0, 0): none)."""
        if self.last_command is None:
            return 0.0, 0.0
        return self.tracking_error_from(self.last_command, measured_pose)

    @staticmethod
    def tracking_error_from(command, measured_pose) -> tuple[float, float]:
        """Return (m, rad) between a commanded and a measured pose."""
        command = np.asarray(command, dtype=np.float64).reshape(-1)
        measured = np.asarray(measured_pose, dtype=np.float64).reshape(-1)
        distance = float(np.linalg.norm(measured[:3] - command[:3]))
        return distance, float(turn_angle(command[3:], measured[3:]))

    def following(self, measured_pose) -> bool:
        """Return whether the measured pose is within the tracking limits of the command."""
        distance, angle = self.tracking_error(measured_pose)
        # NaN compares false, so a measured pose that is not one is never "following"
        return bool(
            distance <= self.limits.max_tracking_error and angle <= self.limits.max_tracking_angle
        )

    # ---- helpers ----------------------------------------------------------------------
    def limits_clip(self, pose) -> np.ndarray:
        return self.limits.clip(pose)

    def _blended_target(self, t: float) -> np.ndarray:
        assert self.active is not None, 'a blend needs the chunk it blends into'
        target = self.active.pose_at(t)
        w = (t - self._switch_time) / self.blend_time if self.blend_time > 0 else 1.0
        if w >= 1.0:
            return target
        old = self._blend_from.pose_at(t) if self._blend_from is not None else self._blend_hold
        if old is None:
            return target
        w = max(w, 0.0)
        position = (1.0 - w) * old[:3] + w * target[:3]
        return np.concatenate([position, rotations.slerp(old[3:], target[3:], w)])

    def _step(self, previous: np.ndarray, target: np.ndarray, elapsed: float) -> np.ndarray:
        """
        Return the pose reached from `previous` towards `target` within the limits.

        The target is clipped into the workspace first. The position moves along the
        straight line to it by at most max_linear_speed * elapsed (the workspace is a box,
        hence convex, so the whole step stays inside it); the rotation turns along the
        shorter arc by at most max_angular_speed * elapsed.
        """
        target = self.limits_clip(target)
        elapsed = max(0.0, float(elapsed))
        delta = target[:3] - previous[:3]
        distance = float(np.linalg.norm(delta))
        reach = self.limits.max_linear_speed * elapsed
        if distance > reach:
            delta = delta * (reach / distance)
        position = np.clip(
            previous[:3] + delta, self.limits.workspace_lower, self.limits.workspace_upper
        )
        q_target = _aligned(rotations.normalized(target[3:]), previous[3:])
        angle = float(turn_angle(previous[3:], q_target))
        turn = self.limits.max_angular_speed * elapsed
        if angle > turn:
            # the slerp already goes the shorter way, so its result is on previous' side
            q = rotations.slerp(previous[3:], q_target, turn / angle)
        else:
            q = q_target
        return np.concatenate([position, _aligned(q, previous[3:])])

    @staticmethod
    def _twist(
        previous: np.ndarray, command: np.ndarray, elapsed: float
    ) -> tuple[np.ndarray, np.ndarray]:
        if elapsed <= 0.0:
            return np.zeros(3), np.zeros(3)
        linear = (command[:3] - previous[:3]) / elapsed
        # q_cmd * q_prev^-1 is the turn seen in the base frame (a world-frame twist)
        turn = rotations.multiply(command[3:], rotations.conjugate(previous[3:]))
        return linear, rotations.rotation_vector(turn) / elapsed
