# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sim_robot_node's end-effector fault switches, on a stand-in node (no ROS graph).

The measured pose stopped, NaN or in another frame, and an arm that stands still whatever
it is told (ros/sim_end_effector.py): what the fault tests and the soak rely on, checked
where it is decided. test_ros_ee_faults.py switches them on the running node.
"""

import math

import numpy as np
import pytest

pytest.importorskip('rclpy')

from imle_policy_ros.ros import messages  # noqa: E402, I100
from imle_policy_ros.ros.node_parameters import parameter_fields  # noqa: E402
from imle_policy_ros.ros.sim_end_effector import (  # noqa: E402
    EndEffectorFaults,
    EndEffectorInputs,
    ToolPoseOutputs,
    WRONG_FRAME,
)
from imle_policy_ros.ros.sim_robot_node import SimRobotConfig  # noqa: E402
from imle_policy_ros.sim.reach_env import ReachEnv  # noqa: E402


class Publisher:
    """Keeps what it is given to publish."""

    def __init__(self):
        self.sent = []

    def publish(self, msg):
        self.sent.append(msg)


class Logger:
    """Drops every warning (the refusals are counted, which is what is checked)."""

    def warning(self, *args, **kwargs):
        pass


class StandInNode:
    """Keeps callbacks and publishers by topic."""

    def __init__(self):
        self.callbacks, self.publishers = {}, {}

    def create_subscription(self, message_type, topic, callback, qos):
        self.callbacks[topic] = callback

    def create_publisher(self, message_type, topic, qos):
        return self.publishers.setdefault(topic, Publisher())

    def get_logger(self):
        return Logger()


def test_the_switches_are_live_parameters_of_the_simulated_robot():
    fields = parameter_fields(SimRobotConfig)
    for name in ('ee_pose_enabled', 'ee_pose_fault', 'arm_frozen'):
        assert fields[name].info.live, name
    assert SimRobotConfig().ee_faults == EndEffectorFaults()


@pytest.mark.parametrize(
    'faults, frame, finite',
    [
        (EndEffectorFaults(), 'base_link', True),
        (EndEffectorFaults(ee_pose_fault='nan'), 'base_link', False),
        (EndEffectorFaults(ee_pose_fault='wrong_frame'), WRONG_FRAME, True),
        (EndEffectorFaults(ee_pose_enabled=False), None, None),
    ],
    ids=['healthy', 'nan', 'wrong frame', 'stopped'],
)
def test_the_tool_pose_is_published_broken_as_the_switches_say(faults, frame, finite):
    node, config = StandInNode(), SimRobotConfig()
    outputs = ToolPoseOutputs(node, config)
    pose = np.array([0.35, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0])
    outputs.publish(pose, messages.seconds_to_stamp(1.0), faults)
    sent = node.publishers[config.ee_pose_topic].sent
    if frame is None:
        assert not sent
        return
    (msg,) = sent
    assert msg.header.frame_id == frame
    assert np.all(np.isfinite(messages.pose_values(msg.pose))) == finite
    assert pose[0] == 0.35  # the simulator's own pose is not touched


def test_a_frozen_arm_ignores_targets_and_stands_still_until_it_is_released():
    node, config, env = StandInNode(), SimRobotConfig(), ReachEnv(seed=0, image_size=8)
    faults = [EndEffectorFaults(arm_frozen=True)]
    inputs = EndEffectorInputs(node, env, config, lambda: 1.0, lambda now: True, lambda: faults[0])
    home = env.tool_position.copy()
    target = messages.pose_stamped(
        [home[0], home[1] + 0.05, 0.0, 0.0, 0.0, 0.0, 1.0],
        'base_link',
        messages.seconds_to_stamp(1),
    )
    for _ in range(10):
        node.callbacks[config.target_pose_topic](target)
        env.advance(0.05)
    np.testing.assert_array_equal(env.tool_position, home)
    assert inputs.ignored_cartesian == 10 and inputs.refused_cartesian == 0 and inputs.active
    faults[0] = EndEffectorFaults()
    node.callbacks[config.target_pose_topic](target)
    env.advance(0.5)
    assert math.isclose(env.tool_position[1], home[1] + 0.05, abs_tol=1e-3)
