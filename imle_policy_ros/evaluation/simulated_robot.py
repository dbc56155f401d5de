# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The built-in simulator as the controller meets it: what it reports, how commands reach it.

The same wiring a robot has: a joint_position bundle gets /joint_states and commands the
joints; an ee_pose bundle also gets the measured tool pose and the finger in the joint
states, and commands the tool pose (the simulator's IK follows it, as a Cartesian motion
controller would) and the gripper, through the bundle's gripper channel (open and closed
positions). The limits are the simulated arm's, in the bundle's action space.
"""

from __future__ import annotations

import numpy as np

from ..control.cartesian_executor import CartesianLimits
from ..control.chunk_executor import JointLimits
from ..control.controller_types import Command
from ..runtime.policy_spec import PolicySpec
from ..sim.planar_arm import ArmGeometry
from ..sim.reach_env import ReachEnv

# The tool moves in the table plane (z = 0) within the arm's reach in front of the base;
# 0.4 m/s is well above the expert's 0.15 m/s cruise and well below what the joints allow.
TOOL_WORKSPACE = (np.array([0.05, -0.6, -0.02]), np.array([0.95, 0.6, 0.02]))
TOOL_MAX_SPEED = 0.4  # m/s
TOOL_MAX_TURN_RATE = 1.0  # rad/s (the tool's orientation is fixed: nothing should turn)
TOOL_MAX_TRACKING_ERROR = 0.05  # m: a few control steps of lag at full speed


def arm_limits(geometry: ArmGeometry = ArmGeometry()) -> JointLimits:
    return JointLimits.create(
        2, geometry.lower_limits, geometry.upper_limits, geometry.max_velocity
    )


def tool_limits() -> CartesianLimits:
    return CartesianLimits(
        workspace_lower=TOOL_WORKSPACE[0],
        workspace_upper=TOOL_WORKSPACE[1],
        max_linear_speed=TOOL_MAX_SPEED,
        max_angular_speed=TOOL_MAX_TURN_RATE,
        max_tracking_error=TOOL_MAX_TRACKING_ERROR,
    )


class SimulatedRobot:
    """Feeds a controller the env's measurements and applies its commands to the env."""

    def __init__(self, env: ReachEnv, spec: PolicySpec):
        self.env = env
        self.layout = spec.ee_layout
        self.gripper_changes = 0

    def report(self, controller, now: float) -> None:
        env = self.env
        if self.layout is None:
            controller.on_joint_state(now, env.joint_names, env.joint_positions)
            return
        controller.on_joint_state(now, env.all_joint_names, env.all_joint_positions)
        controller.on_ee_pose(now, env.ee_pose)

    def execute(self, command: Command) -> None:
        if command.positions is None:
            return
        if self.layout is None:
            self.env.command(command.positions)
            return
        self.env.command_pose(command.positions, self.layout.base_frame)
        if command.gripper is not None and self.layout.gripper is not None:
            self.env.command_gripper(float(self.layout.gripper.position(command.gripper)))
            self.gripper_changes += int(command.gripper_changed)
