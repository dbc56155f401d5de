# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The Cartesian recorder's judges, fed messages by hand: each violation it must catch, caught.

ros/harness/cartesian_recorder.py is attached to a stand-in node that keeps the callbacks
(no ROS graph, no processes); the tests publish what a policy node and a robot would, a
command_info record with each command, and read the report. The fault suite through the
nodes (test_ros_ee_faults.py) shows the healthy stack passes; this shows a broken one fails.
"""

import numpy as np
import pytest

pytest.importorskip('rclpy')

from imle_policy_ros.control.cartesian_executor import CartesianLimits  # noqa: E402, I100
from imle_policy_ros.control.controller_types import Command  # noqa: E402
from imle_policy_ros.ros import messages  # noqa: E402
from imle_policy_ros.ros.command_info import command_info  # noqa: E402
from imle_policy_ros.ros.command_layout import POSE_NAMES  # noqa: E402
from imle_policy_ros.ros.harness import cartesian_recorder  # noqa: E402
from imle_policy_ros.ros.harness.cartesian_judges import CartesianSetup  # noqa: E402
from imle_policy_ros.runtime.ee_layout import GripperSpec  # noqa: E402

POSE_TOPIC, TWIST_TOPIC, EE_TOPIC = '/target', '/twist', '/ee_pose'
INFO, GRIPPER_TOPIC, IMAGE_TOPIC = '/info', '/gripper', '/image'
LIMITS = CartesianLimits(
    workspace_lower=[0.0, -0.5, -0.1],
    workspace_upper=[0.8, 0.5, 0.1],
    max_linear_speed=0.4,
    max_angular_speed=1.0,
)
PERIOD = 0.01
T0 = 1000.0
IDENTITY = [0.0, 0.0, 0.0, 1.0]


class StandInNode:
    """Keeps each subscription's callback by topic, as create_subscription would route them."""

    def __init__(self):
        self.callbacks = {}

    def create_subscription(self, message_type, topic, callback, qos):
        self.callbacks[topic] = callback


class Rig:
    """A recorder on a stand-in node, and what a node and a robot would publish to it."""

    def __init__(self, interface='pose', monkeypatch=None):
        self.setup = CartesianSetup(
            limits=LIMITS,
            base_frame='base_link',
            stale_timeout=0.5,
            min_gripper_dwell=0.5,
            command_topic=POSE_TOPIC if interface == 'pose' else TWIST_TOPIC,
            command_interface=interface,
            ee_pose_topic=EE_TOPIC,
            image_topics=(IMAGE_TOPIC,),
            joint_state_topic='/joint_states',
            joint_names=(),
            gripper=GripperSpec('finger', 0.04, 0.0),
            gripper_interface='forward_command',
            gripper_topic=GRIPPER_TOPIC,
            gripper_joint='finger',
        )
        self.node = StandInNode()
        self.recorder = cartesian_recorder.CartesianRecorder(self.node, self.setup, INFO)
        self.tick = 0
        self.now = T0  # the controller's clock; the recorder times gripper changes on it
        if monkeypatch is not None:  # gripper changes are timed on arrival
            monkeypatch.setattr(cartesian_recorder.time, 'time', lambda: self.now)

    def inputs(self, t, xyz=(0.3, 0.0, 0.0), frame='base_link'):
        """Publish what the robot reports at t: the measured pose (at xyz) and a frame."""
        stamp = messages.seconds_to_stamp(t)
        self.node.callbacks[EE_TOPIC](messages.pose_stamped([*xyz, *IDENTITY], frame, stamp))
        image = messages.rgb_to_image(np.zeros((4, 4, 3), np.uint8), stamp, 'camera')
        self.node.callbacks[IMAGE_TOPIC](image)

    def command(
        self,
        xyz,
        holding=False,
        from_measured=False,
        gripper=0.0,
        frame='base_link',
        arm=None,
        inputs=True,
    ):
        """
        Publish one tick's pose command, its command_info and its gripper command.

        arm: where the robot reports the tool just before the tick (default: at xyz, an
        arm that follows exactly); inputs=False: it reports nothing.
        """
        self.tick += 1
        self.now += PERIOD
        if inputs:
            self.inputs(self.now - 0.005, xyz if arm is None else arm)
        pose = np.array([*xyz, *IDENTITY])
        command = Command(
            self.now,
            pose,
            holding,
            'held' if holding else '',
            input_age=0.005,
            from_measured=from_measured,
            gripper=gripper,
        )
        stamp = messages.seconds_to_stamp(self.now)
        self.node.callbacks[POSE_TOPIC](messages.pose_stamped(pose, frame, stamp))
        self.node.callbacks[GRIPPER_TOPIC](messages.float64_array([0.04 - 0.04 * gripper]))
        self.node.callbacks[INFO](command_info(self.tick, command, pose, POSE_NAMES, True))

    def twist(self, linear, holding=False):
        self.tick += 1
        self.now += PERIOD
        self.inputs(self.now - 0.005)
        command = Command(self.now, np.array([0.3, 0, 0, *IDENTITY]), holding, input_age=0.005)
        stamp = messages.seconds_to_stamp(self.now)
        msg = messages.twist_stamped(linear, [0.0, 0.0, 0.0], 'base_link', stamp)
        self.node.callbacks[TWIST_TOPIC](msg)
        self.node.callbacks[INFO](command_info(self.tick, command, command.positions, POSE_NAMES))

    def report(self):
        return self.recorder.report()


def line(k: int) -> list[float]:
    """Return where tick k of a straight line along y at 0.3 m/s is."""
    return [0.3, 0.3 * PERIOD * k, 0.0]


def moving(rig, ticks=20, **kwargs):
    """Command the line for `ticks` ticks, the first at the measured pose."""
    for k in range(ticks):
        rig.command(line(k), from_measured=k == 0, **kwargs)


def test_a_healthy_stream_passes(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    moving(rig)
    report = rig.report()
    assert report.ok, str(report)
    assert report.checked == 20 and rig.recorder.command_messages == 20


def test_a_step_beyond_the_speed_limit_is_caught_unless_it_starts_at_the_measured_pose(
    monkeypatch,
):
    rig = Rig(monkeypatch=monkeypatch)
    moving(rig, ticks=5)
    rig.command([0.3, 0.1, 0.0])  # 0.09 m in 10 ms
    report = rig.report()
    assert any('0.4 m/s' in v for v in report.violations), str(report)
    legal = Rig(monkeypatch=monkeypatch)
    moving(legal, ticks=5)
    legal.command([0.3, 0.1, 0.0], holding=True, from_measured=True)  # the arm is there
    report = legal.report()
    assert report.ok, str(report)


@pytest.mark.parametrize(
    'xyz, frame, words',
    [
        ([0.3, 0.0, 0.0], 'world', "in frame 'world'"),
        ([np.nan, 0.0, 0.0], 'base_link', 'not finite'),
        ([0.9, 0.0, 0.0], 'base_link', 'outside the workspace'),
    ],
    ids=['another frame', 'NaN', 'outside the workspace'],
)
def test_a_pose_in_another_frame_not_finite_or_outside_the_workspace_is_caught(
    monkeypatch, xyz, frame, words
):
    rig = Rig(monkeypatch=monkeypatch)
    rig.command(xyz, from_measured=True, frame=frame, arm=(0.3, 0.0, 0.0))
    report = rig.report()
    assert any(words in v for v in report.violations), str(report)


def test_a_start_away_from_the_measured_pose_is_caught(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    moving(rig, ticks=3)
    # a hold "at the measured pose" 3 cm from where the arm reports the tool: the last
    # command, say, of an arm that did not follow
    rig.command([0.3, 0.036, 0.0], holding=True, from_measured=True, arm=line(2))
    report = rig.report()
    assert any('but the arm was seen at' in v for v in report.violations), str(report)


def test_motion_on_a_stale_measured_pose_is_caught(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    moving(rig, ticks=3)
    rig.now += 1.0  # nothing reported for a second; the commands say their inputs are fresh
    for k in range(3, 6):
        rig.command(line(k), inputs=False)
    report = rig.report()
    assert any('newest valid ee_pose' in v for v in report.violations), str(report)


def test_gripper_chatter_is_caught(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    for k in range(10):  # closes at tick 3, opens again 30 ms later
        rig.command(line(k), from_measured=k == 0, gripper=1.0 if 3 <= k < 6 else 0.0)
    report = rig.report()
    assert any('s after its last change (min_gripper_dwell' in v for v in report.violations)
    assert any('s after the last change (gripper_min_dwell' in v for v in report.violations)


def test_a_gripper_reset_to_its_measured_state_is_not_chatter(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    for k in range(10):  # closes at tick 3; at tick 6 a hold at the measured, still open finger
        rig.command(
            line(k),
            holding=k == 6,
            from_measured=k in (0, 6),
            gripper=1.0 if 3 <= k < 6 else 0.0,
        )
    report = rig.report()
    assert report.ok, str(report)
    assert len(rig.recorder.gripper_changes) == 2
    assert rig.recorder.gripper_reset_within_dwell == 1  # legal, and counted


def test_twists_over_the_limit_or_moving_on_a_hold_are_caught(monkeypatch):
    rig = Rig('twist', monkeypatch=monkeypatch)
    rig.twist([0.0, 0.3, 0.0])
    rig.twist([0.0, 0.0, 0.0], holding=True)
    assert rig.report().ok, str(rig.report())
    rig.twist([0.0, 0.5, 0.0])  # over 0.4 m/s
    rig.twist([0.0, 0.1, 0.0], holding=True)
    report = rig.report()
    assert any('linear speed 0.500000 over the limit' in v for v in report.violations)
    assert any('commanded a twist that is not zero' in v for v in report.violations)
    assert rig.recorder.moving_twists == 3


def test_a_jump_to_a_measured_pose_the_arm_has_left_is_caught(monkeypatch):
    rig = Rig(monkeypatch=monkeypatch)
    moving(rig, ticks=10)
    for k in range(10, 40):  # the pose stream stops; the arm follows on for 0.3 s
        rig.command(line(k), inputs=False)
    # "not following": a hold back at the last pose reported, 0.3 s and 9 cm ago
    rig.command(line(9), holding=True, from_measured=True, inputs=False)
    report = rig.report()
    assert any('to a measured pose 0.3' in v for v in report.violations), str(report)
