# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What replay feeds the controller from a recording's states, and how it reads the chunks.

A joint bundle gets the recorded joint positions as joint states, and its chunks are
joint positions already. An ee_pose bundle gets the recorded end-effector pose (held in
the dataset's state, runtime/ee_layout.py) as the measured pose and the gripper (and any
extra joints) as joint states; its chunks, relative to the pose at their observation,
are turned back into the dataset's absolute action vectors, so both are compared in the
base frame, in metres.
"""

from __future__ import annotations

import numpy as np

from ..control import low_dim_state
from ..control.cartesian_executor import CartesianLimits
from ..control.chunk_executor import JointLimits
from ..runtime.policy_spec import PolicySpec


def open_loop_limits(spec: PolicySpec) -> JointLimits | CartesianLimits:
    """Return limits that never refuse a chunk: in replay the commands go nowhere."""
    if spec.ee_layout is None:
        return JointLimits.create(len(spec.action_names), velocity=1e6)
    return CartesianLimits(
        workspace_lower=np.full(3, -1e6),
        workspace_upper=np.full(3, 1e6),
        max_linear_speed=1e6,
        max_angular_speed=1e6,
        max_tracking_error=np.inf,  # the arm is not following: it is a recording
        max_tracking_angle=np.inf,
    )


def feed_state(controller, spec: PolicySpec, stamp: float, names, state: np.ndarray) -> None:
    """Give the controller one recorded state, as the robot's topics would carry it."""
    layout = spec.ee_layout
    if layout is None:
        controller.on_joint_state(stamp, names, state)
        return
    state = np.asarray(state, dtype=np.float64)
    controller.on_ee_pose(stamp, layout.pose_of_state(state)[0])
    joints = []
    if layout.gripper:
        joints.append(float(layout.gripper.position(state[layout.pose_dim])))
    first_joint = len(state) - len(layout.state_joints)
    joints += list(state[first_joint:])
    if joints:
        controller.on_joint_state(stamp, low_dim_state.history_joints(spec), joints)


def as_recorded(spec: PolicySpec, chunk: np.ndarray, observation) -> np.ndarray:
    """Return a chunk [P, A] (unnormalized model output) as the recording's action vectors."""
    layout = spec.ee_layout
    if layout is None or layout.reference == 'absolute':
        return np.asarray(chunk, dtype=np.float64)
    poses, gripper = layout.decode(chunk, observation.ee_poses[-1])
    return layout.absolute().encode(poses, gripper)
