# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Command outputs: one small class per `command_interface`, chosen from COMMAND_OUTPUTS.

An output says which message type it publishes, which bundles it can execute (their
action kind), whether it wants the rest of the running chunk with each command, and how a
controller command becomes a message. The node, the parameter checks, the recording plan
and the safety recorder all take what they need from here, so a new interface is a class
and a line in the registry (the gripper has its own: ros/gripper_outputs.py).

    joint_trajectory   trajectory_msgs/JointTrajectory: the rest of the chunk, as waypoints
    forward_position   std_msgs/Float64MultiArray: the joint positions of this tick
    pose               geometry_msgs/PoseStamped in the base frame: the pose of this tick
                       (cartesian_controllers' CartesianMotionController `target_frame`,
                       Franka's compliant pose controllers)
    twist              geometry_msgs/TwistStamped in the base frame, for MoveIt Servo: the
                       velocity of this tick plus a bounded correction toward it (below)

Twist correction. A velocity interface integrates what it is sent, so whatever the arm
lags or overshoots stays; the twist adds `gain * (commanded - measured pose)` (rotation as
the rotation vector of q_cmd * q_measured^-1, in the base frame) to the command's own
velocity. The correction is bounded to CORRECTION_SHARE of the speed limits, so it can
never dominate the motion the policy asked for, and the sum is bounded by the speed limits
themselves. A hold is exactly zero: no feed-forward and no correction, so a held arm
stands still whatever its tracking error (that error is the controller's business: an arm
that does not follow is held at the measured pose).

Importable without rclpy: message types are imported when an output is used, so the
parameter checks and launch planning run on hosts without ROS.
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib
from typing import Any, ClassVar, TYPE_CHECKING

import numpy as np

from ..control.controller_types import Command
from ..control.trajectory_command import trajectory_points
from ..runtime import rotations

if TYPE_CHECKING:
    from .command_layout import CommandLayout

# The correction may use at most this share of max_linear_speed / max_angular_speed.
CORRECTION_SHARE = 0.5


class CommandOutput:
    """What every output has; subclasses set the class attributes and `message`."""

    name: ClassVar[str]  # the command_interface value
    controller: ClassVar[str]  # what it is for, in a parameter description
    message_type_name: ClassVar[str]  # e.g. 'trajectory_msgs/msg/JointTrajectory'
    action_kind: ClassVar[str]  # what the bundle must predict
    wants_waypoints: ClassVar[bool] = False  # tick(waypoints=True) for each command

    @classmethod
    def message_type(cls) -> type:
        package, _, name = cls.message_type_name.split('/')
        return getattr(importlib.import_module(f'{package}.msg'), name)

    @classmethod
    def create(cls, cfg, limits) -> CommandOutput:
        """Return the output the node's config (PolicyNodeConfig) and limits ask for."""
        return cls()

    def message(
        self, command: Command, layout: CommandLayout, period: float, measured=None
    ) -> Any:
        """
        Return the message for a command that has positions.

        layout: the joint order, or the base frame of poses; measured: the latest measured
        end-effector pose [7] (ee_pose bundles, None when unknown).
        """
        raise NotImplementedError


class JointTrajectoryOutput(CommandOutput):
    name = 'joint_trajectory'
    controller = 'JointTrajectoryController'
    message_type_name = 'trajectory_msgs/msg/JointTrajectory'
    action_kind = 'joint_position'
    wants_waypoints = True

    def message(self, command, layout, period, measured=None):
        from . import messages

        times, points = trajectory_points(command, period)
        ordered = [layout.to_command_order(p) for p in points]
        return messages.joint_trajectory(layout.joint_names, times, ordered)


class ForwardPositionOutput(CommandOutput):
    name = 'forward_position'
    controller = 'forward_position_controller'
    message_type_name = 'std_msgs/msg/Float64MultiArray'
    action_kind = 'joint_position'

    def message(self, command, layout, period, measured=None):
        from . import messages

        return messages.float64_array(layout.to_command_order(command.positions))


class PoseOutput(CommandOutput):
    name = 'pose'
    controller = 'CartesianMotionController target_frame'
    message_type_name = 'geometry_msgs/msg/PoseStamped'
    action_kind = 'ee_pose'

    def message(self, command, layout, period, measured=None):
        from . import messages

        # cartesian_controllers drop a target in any frame but robot_base_link
        return messages.pose_stamped(
            command.positions, layout.frame_id, messages.seconds_to_stamp(command.time)
        )


@dataclass(frozen=True)
class TwistCorrection:
    """The proportional pull toward the commanded pose, and the speed limits it keeps."""

    gain: float  # 1/s; 0: feed-forward only
    max_linear_speed: float  # m/s
    max_angular_speed: float  # rad/s


def _bounded(vector: np.ndarray, bound: float) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector * (bound / norm) if norm > bound else vector


def twist_command(
    command: Command, measured, correction: TwistCorrection
) -> tuple[np.ndarray, np.ndarray]:
    """
    Return (linear [3] m/s, angular [3] rad/s) in the base frame for a command.

    The command's velocity plus the bounded correction from `measured` (the latest
    measured pose [7], or None: no correction) toward the commanded pose; exactly zero on
    a hold. See the module docstring.
    """
    if command.holding or command.twist is None:
        return np.zeros(3), np.zeros(3)
    linear = np.asarray(command.twist[0], dtype=np.float64).copy()
    angular = np.asarray(command.twist[1], dtype=np.float64).copy()
    if measured is not None and correction.gain > 0:
        target = np.asarray(command.positions, dtype=np.float64)
        measured = np.asarray(measured, dtype=np.float64)
        if np.all(np.isfinite(measured)) and not rotations.quaternion_problem(measured[3:]):
            turn = rotations.multiply(target[3:], rotations.conjugate(measured[3:]))
            linear += _bounded(
                correction.gain * (target[:3] - measured[:3]),
                CORRECTION_SHARE * correction.max_linear_speed,
            )
            angular += _bounded(
                correction.gain * rotations.rotation_vector(turn),
                CORRECTION_SHARE * correction.max_angular_speed,
            )
    return (
        _bounded(linear, correction.max_linear_speed),
        _bounded(angular, correction.max_angular_speed),
    )


class TwistOutput(CommandOutput):
    name = 'twist'
    controller = 'MoveIt Servo delta_twist_cmds'
    message_type_name = 'geometry_msgs/msg/TwistStamped'
    action_kind = 'ee_pose'

    def __init__(self, correction: TwistCorrection | None = None):
        # without limits (a recorder that only wants the message type) no correction
        self.correction = correction or TwistCorrection(0.0, np.inf, np.inf)

    @classmethod
    def create(cls, cfg, limits):
        return cls(
            TwistCorrection(
                cfg.twist_correction_gain, limits.max_linear_speed, limits.max_angular_speed
            )
        )

    def message(self, command, layout, period, measured=None):
        from . import messages

        linear, angular = twist_command(command, measured, self.correction)
        return messages.twist_stamped(
            linear, angular, layout.frame_id, messages.seconds_to_stamp(command.time)
        )


COMMAND_OUTPUTS: dict[str, type[CommandOutput]] = {
    output.name: output
    for output in (JointTrajectoryOutput, ForwardPositionOutput, PoseOutput, TwistOutput)
}


def command_interface_problem(name: str) -> str | None:
    """Return why `name` cannot be the node's command_interface, or None."""
    if name in COMMAND_OUTPUTS:
        return None
    return f'command_interface {name!r} is not one of {", ".join(COMMAND_OUTPUTS)}'


def interfaces_for(action_kind: str) -> list[str]:
    """Return the command interfaces that execute bundles of `action_kind`."""
    return [name for name, output in COMMAND_OUTPUTS.items() if output.action_kind == action_kind]


def output_fit_problem(command_interface: str, action_kind: str) -> str | None:
    """Return why `command_interface` cannot execute a bundle of `action_kind`, or None."""
    output = COMMAND_OUTPUTS[command_interface]
    if output.action_kind == action_kind:
        return None
    fits = ' or '.join(interfaces_for(action_kind)) or 'none'
    return (
        f'command_interface {command_interface} executes {output.action_kind} actions; the '
        f'bundle predicts {action_kind}: set command_interface to {fits} (with a '
        f'command_topic of that controller), or use a {output.action_kind} bundle'
    )
