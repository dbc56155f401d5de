# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What the policy has seen: encoded camera frames, joint states and end-effector poses, stamped.

Each frame is encoded once, when it arrives; the history keeps the features, never the
images. Inputs may arrive on other threads than the control tick's: one lock guards the
buffers (the encoder runs outside it). An observation for the policy is taken at t_obs,
the newest time at which every camera has a frame, and holds the obs_horizon steps
t_obs - (To-1)*dt ... t_obs at the dataset's spacing dt (the same spacing the windows had
in training), whatever rate the cameras and joint states arrive at.

The low-dim sources are those the bundle needs: the joint states (when it names joints:
a joint bundle's state, an end-effector bundle's gripper or extra joints) and the measured
end-effector pose (ee_pose bundles). Each is an input of its own: stale, it holds the arm.
A bundle without cameras (a state policy) takes its observation at the newest time every
low-dim source has a value instead.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
import threading
from typing import Callable, Sequence

import numpy as np

from ..runtime import rotations


class InputRejected(ValueError):
    """An input that cannot be trusted; the message says why. Nothing of it was stored."""


@dataclass(frozen=True)
class Observation:
    t_obs: float
    features: np.ndarray  # [obs_horizon, cameras, feature_dim]
    joint_positions: np.ndarray  # [obs_horizon, joints], in the history's joint order
    ee_poses: np.ndarray | None = None  # [obs_horizon, 7] measured end-effector poses


class _StampedBuffer:
    """Values with strictly increasing stamps, trimmed to the last `keep_seconds`."""

    def __init__(self, keep_seconds: float):
        self.keep_seconds = keep_seconds
        self.stamps: deque[float] = deque()
        self.values: deque[np.ndarray] = deque()

    def require_newer(self, stamp: float, what: str, not_after: float = np.inf) -> None:
        if not np.isfinite(stamp):
            raise InputRejected(f'{what}: stamp {stamp} is not finite; ignored')
        if stamp > not_after:
            # From another time base (a clock that jumped back while the message was in
            # flight, a camera clock set wrong): kept, it would look fresh until the clock
            # caught up with it and block every correctly stamped input until then.
            raise InputRejected(
                f'{what}: stamp {stamp:.6f} is in the future (accepted up to {not_after:.6f}); '
                f'ignored'
            )
        if self.stamps and stamp <= self.stamps[-1]:
            kind = 'duplicate' if stamp == self.stamps[-1] else 'out-of-order'
            raise InputRejected(
                f'{what}: {kind} stamp {stamp:.6f} (latest {self.stamps[-1]:.6f}); ignored'
            )

    def add(self, stamp: float, value: np.ndarray, what: str, not_after: float = np.inf) -> None:
        self.require_newer(stamp, what, not_after)
        self.stamps.append(stamp)
        self.values.append(value)
        # keep one entry older than the window so the oldest step always has a value
        while len(self.stamps) > 2 and self.stamps[1] <= stamp - self.keep_seconds:
            self.stamps.popleft()
            self.values.popleft()

    @property
    def latest(self) -> float | None:
        return self.stamps[-1] if self.stamps else None

    def at_or_before(self, t: float) -> np.ndarray:
        """
        Return the newest value stamped at or before t.

        The oldest one if all are newer (edge padding, as the training windows repeat an
        episode's first step).
        """
        chosen = self.values[0]
        for stamp, value in zip(self.stamps, self.values):
            if stamp > t:
                break
            chosen = value
        return chosen

    def clear(self) -> None:
        self.stamps.clear()
        self.values.clear()


class ObservationHistory:
    def __init__(
        self,
        camera_names: Sequence[str],
        joint_names: Sequence[str],
        obs_horizon: int,
        dt: float,
        encode: Callable[[int, np.ndarray], np.ndarray],
        ee_pose: bool = False,
    ):
        self.camera_names = tuple(camera_names)
        self.joint_names = tuple(joint_names)
        self.uses_joint_states = bool(self.joint_names) or not ee_pose
        self.uses_ee_pose = ee_pose
        self.obs_horizon = obs_horizon
        self.dt = dt
        self._encode = encode
        keep = (obs_horizon - 1) * dt + 1.0
        self._frames = [_StampedBuffer(keep) for _ in self.camera_names]
        self._joints = _StampedBuffer(keep)
        self._poses = _StampedBuffer(keep)
        self._lock = threading.Lock()

    # ---- inputs -----------------------------------------------------------------------
    def source_name(self, camera: int | None) -> str:
        """How an input is named in refusals, stale lists and diagnostics (None: joint states)."""
        return 'joint_states' if camera is None else f'camera {self.camera_names[camera]!r}'

    def add_frame(
        self, camera: int, stamp: float, frame: np.ndarray, not_after: float = np.inf
    ) -> None:
        """not_after: the newest acceptable stamp (the clock's now plus a tolerance)."""
        what = self.source_name(camera)
        with self._lock:
            self._frames[camera].require_newer(
                stamp, what, not_after
            )  # before paying for the encoder
        features = np.asarray(self._encode(camera, frame), dtype=np.float32)
        if not np.all(np.isfinite(features)):
            raise InputRejected(f'{what}: encoder features are not finite; frame ignored')
        with self._lock:
            self._frames[camera].add(stamp, features, what, not_after)

    def add_joint_state(
        self,
        stamp: float,
        names: Sequence[str],
        positions: Sequence[float],
        not_after: float = np.inf,
    ) -> None:
        """
        Add a joint state in the bundle's joint order.

        Extra joints are ignored, missing ones refused.
        """
        values = np.asarray(positions, dtype=np.float64)
        if len(names) != len(values):
            raise InputRejected(f'joint_states: {len(names)} names but {len(values)} positions')
        index = {n: i for i, n in enumerate(names)}
        missing = [n for n in self.joint_names if n not in index]
        if missing:
            raise InputRejected(
                f'joint_states: missing joints {missing} '
                f'(the model needs {list(self.joint_names)})'
            )
        ordered = values[[index[n] for n in self.joint_names]]
        if not np.all(np.isfinite(ordered)):
            bad = [n for n, v in zip(self.joint_names, ordered) if not np.isfinite(v)]
            raise InputRejected(f'joint_states: non-finite position for {bad}')
        with self._lock:
            self._joints.add(stamp, ordered.astype(np.float32), 'joint_states', not_after)

    def add_ee_pose(self, stamp: float, pose, not_after: float = np.inf) -> None:
        """Add a measured end-effector pose (x, y, z, qx, qy, qz, qw) in the base frame."""
        pose = np.asarray(pose, dtype=np.float64).reshape(-1)
        if pose.shape != (rotations.POSE_SIZE,) or not np.all(np.isfinite(pose[:3])):
            raise InputRejected(f'ee_pose: not a finite pose ({pose.tolist()}); ignored')
        why = rotations.quaternion_problem(pose[3:])
        if why:
            raise InputRejected(f'ee_pose: {why}; ignored')
        pose[3:] = rotations.normalized(pose[3:])
        with self._lock:
            self._poses.add(stamp, pose, 'ee_pose', not_after)

    def copy_arm_state_from(self, other: 'ObservationHistory') -> None:
        """Start with another history's joint states and poses (not the model's business)."""
        # model_switch.check_switchable has made sure both need the same joints and poses,
        # not in the same order: joint values are put in this history's order by name.
        order = [other.joint_names.index(n) for n in self.joint_names]
        for mine, theirs, what in (
            (self._joints, other._joints, 'joint_states'),
            (self._poses, other._poses, 'ee_pose'),
        ):
            with other._lock:
                stamps, values = list(theirs.stamps), list(theirs.values)
            with self._lock:
                mine.clear()
                for stamp, value in zip(stamps, values):
                    mine.add(stamp, value[order] if what == 'joint_states' else value, what)

    # ---- queries ----------------------------------------------------------------------
    def latest_stamps(self) -> dict[str, float | None]:
        with self._lock:
            return self._latest_stamps()

    def _latest_stamps(self) -> dict[str, float | None]:
        stamps = {f'camera {n!r}': b.latest for n, b in zip(self.camera_names, self._frames)}
        if self.uses_joint_states:
            stamps['joint_states'] = self._joints.latest
        if self.uses_ee_pose:
            stamps['ee_pose'] = self._poses.latest
        return stamps

    @property
    def arm_state_source(self) -> str:
        """Return the input that says where the arm is (stale: its state is unknown)."""
        return 'ee_pose' if self.uses_ee_pose else 'joint_states'

    def _low_dim_missing(self) -> bool:
        return (self.uses_joint_states and self._joints.latest is None) or (
            self.uses_ee_pose and self._poses.latest is None
        )

    def input_ages(self, now: float) -> dict[str, float]:
        """Age at `now` of each input's newest value (inf: never received)."""
        return {
            name: np.inf if stamp is None else now - stamp
            for name, stamp in self.latest_stamps().items()
        }

    def stale_inputs(self, now: float, timeout: float) -> list[str]:
        """Return the inputs never received or older than `timeout` at `now`."""
        return [name for name, age in self.input_ages(now).items() if age > timeout]

    def latest_joint_positions(self) -> np.ndarray | None:
        with self._lock:
            return self._joints.values[-1] if self._joints.stamps else None

    def latest_ee_pose(self) -> np.ndarray | None:
        with self._lock:
            return self._poses.values[-1].copy() if self._poses.stamps else None

    def covers_window(self) -> bool:
        """
        Return whether this history covers a whole observation window.

        Every camera (or, without cameras, every low-dim source) has a value at or before
        the oldest step of the newest observation (no edge padding needed): a history
        started mid-run is ready to replace another.
        """
        with self._lock:
            latest = self._latest_frames()
            if self._low_dim_missing() or latest is None:
                return False
            oldest = min(latest) - (self.obs_horizon - 1) * self.dt
            return all(b.stamps[0] <= oldest + 1e-9 for b in self._timing_buffers())

    def observation(self) -> Observation | None:
        """
        Return the observation at the newest time every camera has a frame.

        None until every camera and low-dim source has delivered at least once.
        """
        with self._lock:
            return self._observation()

    def _observation(self) -> Observation | None:
        latest = self._latest_frames()
        if self._low_dim_missing() or latest is None:
            return None
        t_obs = min(latest)
        steps = [t_obs - (self.obs_horizon - 1 - k) * self.dt for k in range(self.obs_horizon)]
        if self._frames:
            features = np.stack(
                [np.stack([b.at_or_before(t) for b in self._frames]) for t in steps]
            )
        else:  # a state policy: no features (the policy fills in its empty feature block)
            features = np.zeros((self.obs_horizon, 0, 0), np.float32)
        if self.uses_joint_states:
            joints = np.stack([self._joints.at_or_before(t) for t in steps])
        else:
            joints = np.zeros((self.obs_horizon, 0), np.float32)
        poses = (
            np.stack([self._poses.at_or_before(t) for t in steps]) if self.uses_ee_pose else None
        )
        return Observation(t_obs, features, joints, poses)

    def _timing_buffers(self) -> list[_StampedBuffer]:
        """Return the inputs whose stamps set t_obs: the cameras, or the low-dim sources."""
        if self._frames:
            return self._frames
        used = ((self._joints, self.uses_joint_states), (self._poses, self.uses_ee_pose))
        return [buffer for buffer, uses in used if uses]

    def _latest_frames(self) -> list[float] | None:
        """Return the newest stamp of each timing input, or None until each has one."""
        latest = [b.latest for b in self._timing_buffers()]
        return None if any(t is None for t in latest) else [t for t in latest if t is not None]

    def clear(self) -> None:
        with self._lock:
            for buffer in (*self._frames, self._joints, self._poses):
                buffer.clear()
