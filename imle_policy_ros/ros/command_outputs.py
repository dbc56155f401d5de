# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Command outputs: one small class per `command_interface`, chosen from COMMAND_OUTPUTS.

An output says which message type it publishes, which bundles it can execute (their
action kind), whether it wants the rest of the running chunk with each command, and how a
controller command becomes a message. The node, the parameter checks, the recording plan
and the safety recorder all take what they need from here, so a new interface (pose,
twist, a gripper) is a class and a line in the registry.

Importable without rclpy: message types are imported when an output is used, so the
parameter checks and launch planning run on hosts without ROS.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar, TYPE_CHECKING

from ..control.controller_types import Command
from ..control.trajectory_command import trajectory_points

if TYPE_CHECKING:
    from .command_layout import CommandLayout


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

    def message(self, command: Command, layout: CommandLayout, period: float) -> Any:
        """Return the message for a command that has positions (`layout`: the joint order)."""
        raise NotImplementedError


class JointTrajectoryOutput(CommandOutput):
    name = 'joint_trajectory'
    controller = 'JointTrajectoryController'
    message_type_name = 'trajectory_msgs/msg/JointTrajectory'
    action_kind = 'joint_position'
    wants_waypoints = True

    def message(self, command, layout, period):
        from . import messages

        times, points = trajectory_points(command, period)
        ordered = [layout.to_command_order(p) for p in points]
        return messages.joint_trajectory(layout.joint_names, times, ordered)


class ForwardPositionOutput(CommandOutput):
    name = 'forward_position'
    controller = 'forward_position_controller'
    message_type_name = 'std_msgs/msg/Float64MultiArray'
    action_kind = 'joint_position'

    def message(self, command, layout, period):
        from . import messages

        return messages.float64_array(layout.to_command_order(command.positions))


COMMAND_OUTPUTS: dict[str, type[CommandOutput]] = {
    output.name: output for output in (JointTrajectoryOutput, ForwardPositionOutput)
}
# Named by the design for end-effector bundles; their outputs come with ee_pose execution.
PLANNED_INTERFACES = ('pose', 'twist')


def command_interface_problem(name: str) -> str | None:
    """Return why `name` cannot be the node's command_interface, or None."""
    if name in COMMAND_OUTPUTS:
        return None
    if name in PLANNED_INTERFACES:
        return (
            f'command_interface {name!r} needs a bundle with action kind ee_pose, which this '
            f'version does not execute yet; use {" or ".join(COMMAND_OUTPUTS)}'
        )
    known = (*COMMAND_OUTPUTS, *PLANNED_INTERFACES)
    return f'command_interface {name!r} is not one of {", ".join(known)}'
