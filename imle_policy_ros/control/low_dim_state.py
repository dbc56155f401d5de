# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What a bundle's low-dim state is made of, and where the arm is in its action space.

A joint_position bundle's state is joint positions, by name from /joint_states. An ee_pose
bundle's state is the measured end-effector pose, then the gripper (normalized from its
joint in /joint_states), then any extra joints (runtime/ee_layout.py says which), then any
named inputs beyond the layout (objects a tracker reports, by name like joints): the
history collects the sources, this module assembles the vector the condition wants, and
the measured "action" a hold or a restart starts from (joint positions in the action
order, or the pose).
"""

from __future__ import annotations

import numpy as np

from .observation_history import Observation, ObservationHistory
from ..runtime.policy_spec import PolicySpec


def history_joints(spec: PolicySpec) -> tuple[str, ...]:
    """Return the joints the bundle needs from /joint_states, in the history's order."""
    layout = spec.ee_layout
    if layout is None:
        return tuple(spec.state_names)
    gripper = (layout.gripper.joint,) if layout.gripper else ()
    return gripper + layout.state_joints + spec.extra_state_names


def check_supported(spec: PolicySpec) -> None:
    """Raise ValueError for a bundle whose state cannot be assembled from live inputs."""
    layout = spec.ee_layout
    if layout is not None and layout.gripper is not None and not layout.gripper.joint:
        raise ValueError(
            "the bundle's gripper has no measured joint (it was learned from commands only); "
            'the controller needs the gripper position in /joint_states to fill its state'
        )
    if layout is None:
        missing = [a for a in spec.action_names if a not in spec.state_names]
        if missing:
            raise ValueError(
                f'the bundle commands joints {missing} that are not in its state '
                f"{list(spec.state_names)}: the arm's measured position could not be held or "
                'resumed from'
            )


def new_history(spec: PolicySpec, encode) -> ObservationHistory:
    return ObservationHistory(
        [c.name for c in spec.cameras],
        history_joints(spec),
        spec.obs_horizon,
        spec.dt,
        encode,
        ee_pose=spec.ee_layout is not None,
    )


def state_of(spec: PolicySpec, observation: Observation) -> np.ndarray:
    """Return the condition's low-dim state [obs_horizon, state_dim] of an observation."""
    layout = spec.ee_layout
    if layout is None:
        return observation.joint_positions
    joints = np.asarray(observation.joint_positions, dtype=np.float64)
    gripper = layout.gripper.normalize(joints[:, 0]) if layout.gripper else None
    first = 1 if layout.gripper else 0
    beyond = first + len(layout.state_joints)  # where the named inputs past the layout begin
    arm = joints[:, first:beyond]
    state = layout.state(observation.ee_poses, gripper, arm if layout.state_joints else None)
    return np.concatenate([state, joints[:, beyond:]], axis=1)


def measured_action(spec: PolicySpec, history: ObservationHistory) -> np.ndarray | None:
    """
    Return where the arm is, in what the executor commands; None before it is known.

    Joint positions in the action order, or the end-effector pose (x, y, z, qx, qy, qz, qw).
    """
    if spec.ee_layout is not None:
        return history.latest_ee_pose()
    joints = history.latest_joint_positions()
    if joints is None:
        return None
    state = list(spec.state_names)
    return joints[[state.index(a) for a in spec.action_names]]


def measured_gripper(spec: PolicySpec, history: ObservationHistory) -> float | None:
    """Return the measured gripper, 0 open .. 1 closed, or None (none, or not known yet)."""
    layout = spec.ee_layout
    if layout is None or layout.gripper is None:
        return None
    joints = history.latest_joint_positions()
    return None if joints is None else float(layout.gripper.normalize(joints[0]))
