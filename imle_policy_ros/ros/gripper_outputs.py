# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Gripper outputs: one small class per `gripper_interface`, chosen from GRIPPER_OUTPUTS.

The controller decides open or closed (control/gripper_channel.py: hysteresis and a
minimum dwell, so a policy that hesitates does not chatter); an output turns the decision
into the bundle's joint position (GripperSpec.position: open_position / closed_position)
and a message:

    forward_command    std_msgs/Float64MultiArray [position] (a forward_command_controller,
                       e.g. /gripper_controller/commands): streamed at control rate while
                       the state is known, as forward controllers expect
    joint_trajectory   trajectory_msgs/JointTrajectory of the gripper joint, one point
                       TRAJECTORY_TIME s ahead (/gripper_controller/joint_trajectory): sent
                       when the decision changes
    gripper_action     control_msgs/action/GripperCommand (/gripper_controller/gripper_cmd,
                       GripperActionController): a goal when the decision changes. Needs
                       control_msgs, which has no pip wheel: refused where it does not import

Nothing is sent while the state is unknown (an open command could drop what the gripper
holds) nor while the arm's commands are not published (disabled: the operator's).
Importable without rclpy, as command_outputs is.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, ClassVar

from ..control.controller_types import Command
from ..runtime.ee_layout import GripperSpec

# A gripper command is a place (open, closed), not a motion: half a second gives the
# trajectory controller something to interpolate (no jump) without delaying a grasp.
TRAJECTORY_TIME = 0.5  # s


class GripperOutput:
    """What every gripper output has; subclasses set the class attributes and `message`."""

    name: ClassVar[str]  # the gripper_interface value
    controller: ClassVar[str]  # what it is for, in a parameter description
    default_topic: ClassVar[str]  # gripper_topic when it is left empty
    streams: ClassVar[bool]  # at control rate (True) or on a change of the decision
    message_type_name: ClassVar[str] = ''  # topic outputs: e.g. 'std_msgs/msg/Float64MultiArray'

    def __init__(self, gripper: GripperSpec, joint: str):
        self.gripper = gripper
        self.joint = joint

    @classmethod
    def availability_problem(cls) -> str | None:
        """Return why this output cannot run on this host, or None."""
        return None

    def position(self, state: float) -> float:
        """Return the joint position of a decision (0 open, 1 closed)."""
        return float(self.gripper.position(state))

    def wants(self, command: Command) -> bool:
        """Tell whether this command's gripper decision is to be sent."""
        if command.gripper is None:
            return False
        return self.streams or command.gripper_changed

    def message(self, state: float) -> Any:
        raise NotImplementedError

    def connect(self, node, topic: str) -> Callable[[Any], None]:
        """Create what sends the messages on `node`; return the function that sends one."""
        package, _, name = self.message_type_name.split('/')
        message_type = getattr(importlib.import_module(f'{package}.msg'), name)
        return node.create_publisher(message_type, topic, 10).publish


class ForwardCommandOutput(GripperOutput):
    name = 'forward_command'
    controller = 'forward_command_controller'
    default_topic = '/gripper_controller/commands'
    streams = True
    message_type_name = 'std_msgs/msg/Float64MultiArray'

    def message(self, state):
        from . import messages

        return messages.float64_array([self.position(state)])


class JointTrajectoryGripperOutput(GripperOutput):
    name = 'joint_trajectory'
    controller = 'JointTrajectoryController of the gripper joint'
    default_topic = '/gripper_controller/joint_trajectory'
    streams = False
    message_type_name = 'trajectory_msgs/msg/JointTrajectory'

    def message(self, state):
        from . import messages

        return messages.joint_trajectory([self.joint], [TRAJECTORY_TIME], [[self.position(state)]])


class GripperActionOutput(GripperOutput):
    name = 'gripper_action'
    controller = 'GripperActionController, control_msgs/action/GripperCommand'
    default_topic = '/gripper_controller/gripper_cmd'
    streams = False

    @classmethod
    def availability_problem(cls):
        try:
            importlib.import_module('control_msgs.action')
        except ImportError:
            return (
                'gripper_interface gripper_action needs control_msgs (control_msgs/action/'
                'GripperCommand), which is not installed here (there is no pip wheel of it): '
                'install ros-$ROS_DISTRO-control-msgs with ROS from apt, or use '
                'gripper_interface forward_command (a forward_command_controller) or '
                'joint_trajectory (a JointTrajectoryController of the gripper joint)'
            )
        return None

    def message(self, state):
        from control_msgs.action import GripperCommand

        goal = GripperCommand.Goal()
        goal.command.position = self.position(state)
        # the policy knows open and closed, not forces: grip force is the controller's setting
        goal.command.max_effort = 0.0
        return goal

    def connect(self, node, topic):
        from control_msgs.action import GripperCommand
        from rclpy.action import ActionClient

        client = ActionClient(node, GripperCommand, topic)
        # a new goal preempts the running one in GripperActionController
        return client.send_goal_async


GRIPPER_OUTPUTS: dict[str, type[GripperOutput]] = {
    output.name: output
    for output in (ForwardCommandOutput, JointTrajectoryGripperOutput, GripperActionOutput)
}
GRIPPER_INTERFACES = ('none', *GRIPPER_OUTPUTS)


class GripperCommander:
    """Sends the gripper decisions of the published commands through one output."""

    def __init__(self, output: GripperOutput, send: Callable[[Any], None], topic: str):
        self.output = output
        self.topic = topic
        self._send = send
        self.sent = 0  # messages (or goals) sent

    def on_command(self, command: Command) -> None:
        """Send this command's gripper decision if the output wants it."""
        if self.output.wants(command):
            assert command.gripper is not None, 'wants() is False for an unknown state'
            self._send(self.output.message(command.gripper))
            self.sent += 1


def connect_gripper(node, cfg, gripper: GripperSpec | None) -> GripperCommander | None:
    """
    Return the gripper commander the node's config asks for, sending on `node`; or None.

    cfg: the PolicyNodeConfig (gripper_interface, gripper_topic, gripper_joint; empty: the
    output's usual topic and the bundle's gripper joint); gripper: the bundle's. None for
    gripper_interface none; command_layout.check_bundle has made sure the rest fits.
    """
    if cfg.gripper_interface == 'none' or gripper is None:
        return None
    output = GRIPPER_OUTPUTS[cfg.gripper_interface](gripper, cfg.gripper_joint or gripper.joint)
    topic = cfg.gripper_topic or output.default_topic
    return GripperCommander(output, output.connect(node, topic), topic)
