# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The declared layout of end-effector (ee_pose) actions and states, and the one rule for each.

A bundle or dataset of kind `ee_pose` learns vectors whose dimensions this layout names:

    action  position (3, m) | rotation (6, the 6-D form; none with rotation 'none')
            | gripper (1, 0 open .. 1 closed; none without a gripper)
    state   the same for the measured end-effector pose (always absolute, base frame)
            | then the joint positions named in `state_joints`, if any

Actions are `absolute` (poses in `base_frame`) or `relative` to the measured pose at the
observation (the last of the obs_horizon steps): the position as an offset in the base
frame, the rotation as R_obs^T R (the turn seen from the observed end effector). Relative
targets start every chunk at zero, whatever the arm's placement, so one normalization
range covers the motion itself rather than the whole workspace, and IMLE's epsilon
(in normalized units) means the same small distance everywhere. The gripper is always
absolute: open and closed are places, not motions.

`encode` turns poses (+ gripper) into action vectors and `decode` turns them back; both
are used by the dataset converter, the controller (its consistency reference) and
evaluation, so the rule is written once. numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import rotations

ROTATIONS = ('6d', 'none')
REFERENCES = ('absolute', 'relative')
POSITION_NAMES = ('x', 'y', 'z')
ROTATION_NAMES = tuple(f'rot6d_{i}' for i in range(6))
GRIPPER_NAME = 'gripper'


@dataclass(frozen=True)
class GripperSpec:
    """
    The gripper channel: one value, 0 = open .. 1 = closed, learned and commanded.

    `joint` names its position in /joint_states ('' when the robot does not report it);
    `open_position` / `closed_position` map the normalized value to the joint's units
    (either may be the larger); the command is closed above `threshold`.
    """

    joint: str = ''
    open_position: float = 0.0
    closed_position: float = 1.0
    threshold: float = 0.5

    def __post_init__(self) -> None:
        if not (np.isfinite(self.open_position) and np.isfinite(self.closed_position)):
            raise ValueError('gripper open and closed positions must be finite')
        if self.open_position == self.closed_position:
            raise ValueError(
                f'gripper open and closed positions are both {self.open_position}: '
                'say which positions mean open and closed'
            )
        if not 0.0 < self.threshold < 1.0:
            raise ValueError(f'gripper threshold {self.threshold} must be in (0, 1)')

    def normalize(self, position) -> np.ndarray:
        """Map joint positions to 0 (open) .. 1 (closed), clipped."""
        span = self.closed_position - self.open_position
        value = (np.asarray(position, dtype=np.float64) - self.open_position) / span
        return np.clip(value, 0.0, 1.0)

    def position(self, value) -> np.ndarray:
        """Map normalized values back to joint positions."""
        value = np.asarray(value, dtype=np.float64)
        return self.open_position + value * (self.closed_position - self.open_position)

    def to_dict(self) -> dict:
        return {
            'joint': self.joint,
            'open_position': self.open_position,
            'closed_position': self.closed_position,
            'threshold': self.threshold,
        }

    @classmethod
    def from_dict(cls, d: dict) -> 'GripperSpec':
        return cls(
            str(d.get('joint', '')),
            float(d['open_position']),
            float(d['closed_position']),
            float(d.get('threshold', 0.5)),
        )


@dataclass(frozen=True)
class EePoseLayout:
    """What the dimensions of ee_pose actions and states are, and in which frame."""

    base_frame: str
    ee_frame: str
    rotation: str = '6d'
    reference: str = 'relative'
    # rotation 'none': the orientation every command carries (x, y, z, w; the demos' own)
    fixed_orientation: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 1.0)
    gripper: GripperSpec | None = None
    state_joints: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        problems = []
        if not self.base_frame or not self.ee_frame:
            problems.append('base_frame and ee_frame must be named')
        if self.rotation not in ROTATIONS:
            problems.append(f'rotation {self.rotation!r} is not one of {ROTATIONS}')
        if self.reference not in REFERENCES:
            problems.append(f'reference {self.reference!r} is not one of {REFERENCES}')
        why = rotations.quaternion_problem(self.fixed_orientation)
        if why:
            problems.append(f'fixed_orientation: {why}')
        if problems:
            raise ValueError('end-effector layout: ' + '; '.join(problems))
        object.__setattr__(self, 'fixed_orientation', tuple(map(float, self.fixed_orientation)))
        object.__setattr__(self, 'state_joints', tuple(map(str, self.state_joints)))

    # ---- names and groups -------------------------------------------------------------
    @property
    def learns_rotation(self) -> bool:
        return self.rotation == '6d'

    @property
    def action_names(self) -> tuple[str, ...]:
        names = POSITION_NAMES + (ROTATION_NAMES if self.learns_rotation else ())
        return names + ((GRIPPER_NAME,) if self.gripper else ())

    @property
    def state_names(self) -> tuple[str, ...]:
        learned = POSITION_NAMES + (ROTATION_NAMES if self.learns_rotation else ())
        pose = tuple(f'ee_{n}' for n in learned)
        return pose + ((GRIPPER_NAME,) if self.gripper else ()) + self.state_joints

    @property
    def pose_dim(self) -> int:
        return 9 if self.learns_rotation else 3

    @property
    def gripper_index(self) -> int | None:
        """Return the gripper's index in action (and state) vectors, or None without one."""
        return self.pose_dim if self.gripper else None

    def consistency_weights(self) -> np.ndarray:
        """
        Per-dimension weights for the temporal-consistency distance (normalized actions).

        Each group (position, rotation, gripper) weighs the same in total, however many
        dimensions it has: otherwise the six rotation numbers would outvote the three of
        position, and an orientation wobble would decide which mode the arm follows.
        """
        groups = [3] + ([6] if self.learns_rotation else []) + ([1] if self.gripper else [])
        return np.concatenate([np.full(n, 1.0 / n) for n in groups])

    # ---- the rule -----------------------------------------------------------------------
    def encode(self, poses, gripper=None, at_pose=None) -> np.ndarray:
        """
        Return action vectors [T, action_dim] of target poses [T, 7] (+ gripper [T], 0..1).

        at_pose: the measured pose at the observation, [7] or one per row [T, 7] (needed
        when relative).
        """
        poses = np.asarray(poses, dtype=np.float64).reshape(-1, rotations.POSE_SIZE)
        positions, quaternions = poses[:, :3], poses[:, 3:]
        parts = []
        if self.reference == 'relative':
            at = self._at(at_pose)
            parts.append(positions - at[:, :3])
            if self.learns_rotation:
                turn = rotations.multiply(rotations.conjugate(at[:, 3:]), quaternions)
                parts.append(rotations.to_6d(turn))
        else:
            parts.append(positions)
            if self.learns_rotation:
                parts.append(rotations.to_6d(quaternions))
        if self.gripper:
            if gripper is None:
                raise ValueError('this layout has a gripper: give its values (0 open .. 1 closed)')
            parts.append(np.asarray(gripper, dtype=np.float64).reshape(-1, 1))
        return np.concatenate(parts, axis=1)

    def decode(self, actions, at_pose=None) -> tuple[np.ndarray, np.ndarray | None]:
        """
        Return (target poses [T, 7] in base_frame, gripper [T] in 0..1 or None).

        at_pose as for `encode`. Raises ValueError where the 6-D part is not a rotation (a
        model output to refuse).
        """
        actions = np.asarray(actions, dtype=np.float64).reshape(-1, len(self.action_names))
        positions = actions[:, :3]
        if self.learns_rotation:
            quaternions = rotations.from_6d(actions[:, 3:9])
        else:
            quaternions = np.broadcast_to(np.asarray(self.fixed_orientation), (len(actions), 4))
        if self.reference == 'relative':
            at = self._at(at_pose)
            positions = positions + at[:, :3]
            if self.learns_rotation:
                quaternions = rotations.canonical(rotations.multiply(at[:, 3:], quaternions))
        gripper = None
        if self.gripper:
            gripper = np.clip(actions[:, self.pose_dim], 0.0, 1.0)
        poses = np.concatenate([positions, quaternions], axis=1)
        return poses, gripper

    def state(self, poses, gripper=None, joints=None) -> np.ndarray:
        """State vectors [T, state_dim] of measured poses [T, 7] (+ gripper 0..1, + joints)."""
        poses = np.asarray(poses, dtype=np.float64).reshape(-1, rotations.POSE_SIZE)
        parts = [poses[:, :3]]
        if self.learns_rotation:
            parts.append(rotations.to_6d(poses[:, 3:]))
        if self.gripper:
            if gripper is None:
                raise ValueError('this layout has a gripper: give its measured values')
            parts.append(np.asarray(gripper, dtype=np.float64).reshape(-1, 1))
        if self.state_joints:
            if joints is None:
                raise ValueError(f'this layout needs the joints {list(self.state_joints)}')
            parts.append(np.asarray(joints, dtype=np.float64).reshape(len(poses), -1))
        return np.concatenate(parts, axis=1)

    def pose_of_state(self, states) -> np.ndarray:
        """Return the measured poses [T, 7] held in state vectors [T, state_dim]."""
        states = np.asarray(states, dtype=np.float64).reshape(-1, len(self.state_names))
        if self.learns_rotation:
            quaternions = rotations.from_6d(states[:, 3:9])
        else:
            quaternions = np.broadcast_to(np.asarray(self.fixed_orientation), (len(states), 4))
        return np.concatenate([states[:, :3], quaternions], axis=1)

    def absolute(self) -> 'EePoseLayout':
        """Return this layout with absolute actions (what a dataset stores)."""
        return replace(self, reference='absolute')

    def relative_to(self, absolute_actions, at_pose) -> np.ndarray:
        """Re-express absolute action vectors of this layout in its own reference."""
        if self.reference == 'absolute':
            return np.asarray(absolute_actions, dtype=np.float64)
        poses, gripper = self.absolute().decode(absolute_actions)
        return self.encode(poses, gripper, at_pose)

    def _at(self, at_pose) -> np.ndarray:
        if at_pose is None:
            raise ValueError('relative actions need the measured pose at the observation')
        return np.asarray(at_pose, dtype=np.float64).reshape(-1, rotations.POSE_SIZE)

    # ---- json -----------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            'base_frame': self.base_frame,
            'ee_frame': self.ee_frame,
            'rotation': self.rotation,
            'reference': self.reference,
            'fixed_orientation': list(self.fixed_orientation),
            'gripper': self.gripper.to_dict() if self.gripper else None,
            'state_joints': list(self.state_joints),
            'units': {
                'position': 'm',
                'rotation': '6-D, first two matrix columns',
                'gripper': '0 open .. 1 closed',
            },
            'action_names': list(self.action_names),
            'state_names': list(self.state_names),
        }

    @classmethod
    def from_dict(cls, d: dict) -> 'EePoseLayout':
        layout = cls(
            base_frame=str(d['base_frame']),
            ee_frame=str(d['ee_frame']),
            rotation=str(d.get('rotation', '6d')),
            reference=str(d.get('reference', 'relative')),
            fixed_orientation=tuple(d.get('fixed_orientation', (0.0, 0.0, 0.0, 1.0))),
            gripper=GripperSpec.from_dict(d['gripper']) if d.get('gripper') else None,
            state_joints=tuple(d.get('state_joints', ())),
        )
        for key in ('action_names', 'state_names'):
            if key in d and tuple(d[key]) != getattr(layout, key):
                raise ValueError(
                    f'end-effector layout: {key} {d[key]} do not match the layout '
                    f'({list(getattr(layout, key))})'
                )
        return layout
