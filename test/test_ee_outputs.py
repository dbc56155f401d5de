# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
End-effector and gripper commands as messages: pose, twist, gripper, paths, command_info.

The twist correction and the gripper's decisions of what to send are ROS-free; the
message tests need the rclpy message packages (no ROS graph, no node).
"""

from __future__ import annotations

from imle_policy_ros.control.controller_types import Command
from imle_policy_ros.ros.command_outputs import (
    CORRECTION_SHARE,
    twist_command,
    TwistCorrection,
)
from imle_policy_ros.ros.gripper_outputs import (
    ForwardCommandOutput,
    GripperCommander,
    JointTrajectoryGripperOutput,
    TRAJECTORY_TIME,
)
from imle_policy_ros.ros.path_markers import sampled_poses
from imle_policy_ros.runtime import rotations
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.runtime.normalization import MinMaxStats
from imle_policy_ros.runtime.policy import PolicyOutput
import numpy as np
import pytest
from test_ee_node_parameters import ee_spec

GRIPPER = GripperSpec('finger', open_position=0.04, closed_position=0.0)
CORRECTION = TwistCorrection(gain=2.0, max_linear_speed=0.2, max_angular_speed=1.0)
POSE = np.array([0.4, 0.1, 0.3, 0.0, 0.0, 0.0, 1.0])
STILL = (np.zeros(3), np.zeros(3))


def ee_command(pose=POSE, holding=False, twist=STILL, gripper=None, changed=False, t=12.5):
    return Command(
        t,
        np.asarray(pose, dtype=np.float64),
        holding,
        'held' if holding else '',
        input_age=0.01,
        gripper=gripper,
        gripper_changed=changed,
        twist=(np.asarray(twist[0], float), np.asarray(twist[1], float)),
    )


def turned_about_z(pose, angle):
    q = rotations.from_rotation_vector([0.0, 0.0, angle])
    return np.concatenate([pose[:3], rotations.multiply(q, pose[3:])])


# ---- the twist: velocity + bounded correction, zero on a hold -------------------------------
def test_on_target_the_twist_is_the_command_s_velocity():
    velocity = ([0.05, 0.0, -0.02], [0.0, 0.1, 0.0])
    linear, angular = twist_command(ee_command(twist=velocity), POSE, CORRECTION)
    np.testing.assert_allclose(linear, velocity[0], atol=1e-12)
    np.testing.assert_allclose(angular, velocity[1], atol=1e-12)


def test_a_small_lag_is_corrected_by_gain_times_the_error():
    measured = POSE.copy()
    measured[:3] -= [0.01, 0.0, 0.005]  # the arm is behind the command
    measured = turned_about_z(measured, -0.02)
    linear, angular = twist_command(ee_command(), measured, CORRECTION)
    np.testing.assert_allclose(linear, [0.02, 0.0, 0.01], atol=1e-12)
    np.testing.assert_allclose(angular, [0.0, 0.0, 0.04], atol=1e-9)  # toward the command


def test_the_correction_is_bounded_to_a_share_of_the_speed_limits():
    measured = turned_about_z(POSE - [0.5, 0, 0, 0, 0, 0, 0], -1.0)  # far off: a big error
    linear, angular = twist_command(ee_command(), measured, CORRECTION)
    assert np.linalg.norm(linear) == pytest.approx(CORRECTION_SHARE * 0.2)
    assert np.linalg.norm(angular) == pytest.approx(CORRECTION_SHARE * 1.0)
    np.testing.assert_allclose(linear / np.linalg.norm(linear), [1.0, 0.0, 0.0], atol=1e-12)


def test_velocity_and_correction_together_stay_within_the_speed_limits():
    measured = POSE - [0.5, 0, 0, 0, 0, 0, 0]
    command = ee_command(twist=([0.2, 0.0, 0.0], [0.0, 0.0, 1.0]))
    linear, angular = twist_command(command, turned_about_z(measured, -1.0), CORRECTION)
    assert np.linalg.norm(linear) == pytest.approx(0.2)
    assert np.linalg.norm(angular) == pytest.approx(1.0)


def test_a_hold_is_exactly_zero_whatever_the_error():
    measured = turned_about_z(POSE - [0.3, 0.2, 0, 0, 0, 0, 0], 0.5)
    command = ee_command(holding=True, twist=([0.1, 0, 0], [0, 0, 0.2]))
    linear, angular = twist_command(command, measured, CORRECTION)
    assert np.all(linear == 0.0) and np.all(angular == 0.0)


@pytest.mark.parametrize(
    'measured, correction',
    [
        (None, CORRECTION),  # no measured pose yet: no correction
        (POSE - [0.1, 0, 0, 0, 0, 0, 0], TwistCorrection(0.0, 0.2, 1.0)),  # gain 0
        (np.full(7, np.nan), CORRECTION),  # a measured pose that is none
    ],
)
def test_without_a_usable_measured_pose_or_gain_the_twist_is_feed_forward(measured, correction):
    command = ee_command(twist=([0.05, 0, 0], [0, 0, 0.1]))
    linear, angular = twist_command(command, measured, correction)
    np.testing.assert_array_equal(linear, [0.05, 0, 0])
    np.testing.assert_array_equal(angular, [0, 0, 0.1])


# ---- the gripper: what is sent when ----------------------------------------------------------
def test_the_decision_maps_to_the_bundle_s_open_and_closed_positions():
    output = ForwardCommandOutput(GRIPPER, 'finger')
    assert (output.position(0.0), output.position(1.0)) == (0.04, 0.0)


def commands_with_a_change():
    return [
        ee_command(gripper=None),  # not known yet
        ee_command(gripper=0.0, changed=True),  # the first decision
        ee_command(gripper=0.0),
        ee_command(gripper=1.0, changed=True),
        ee_command(gripper=1.0, holding=True),
    ]


def test_forward_command_streams_while_the_state_is_known():
    pytest.importorskip('std_msgs')
    sent = []
    commander = GripperCommander(
        ForwardCommandOutput(GRIPPER, 'finger'), sent.append, '/g/commands'
    )
    for command in commands_with_a_change():
        commander.on_command(command)
    assert [list(m.data) for m in sent] == [[0.04], [0.04], [0.0], [0.0]]
    assert commander.sent == 4


def test_joint_trajectory_is_sent_on_a_change_only():
    pytest.importorskip('trajectory_msgs')
    sent = []
    output = JointTrajectoryGripperOutput(GRIPPER, 'gripper_joint')
    commander = GripperCommander(output, sent.append, '/g/joint_trajectory')
    for command in commands_with_a_change():
        commander.on_command(command)
    assert len(sent) == 2
    assert [list(m.joint_names) for m in sent] == [['gripper_joint']] * 2
    assert [list(m.points[0].positions) for m in sent] == [[0.04], [0.0]]
    point = sent[0].points[0]
    assert len(sent[0].points) == 1
    assert point.time_from_start.sec + point.time_from_start.nanosec * 1e-9 == TRAJECTORY_TIME


# ---- the sampled paths ---------------------------------------------------------------------
def test_every_sample_is_decoded_from_the_observation_s_pose():
    spec = ee_spec()  # relative x, y, z + gripper, fixed orientation; actions in [-1, 1]
    stats: MinMaxStats = spec.action_stats
    steps = np.zeros((3, 16, 4))
    steps[0, :, 0] = 0.1  # +x
    steps[1, :, 1] = -0.2  # -y
    steps[2, 5, 2] = np.nan  # not a pose
    output = PolicyOutput(steps[1], 1, stats.normalize(steps), 1.0, False)
    at = np.array([0.3, 0.0, 0.2, 0, 0, 0, 1.0])
    first, second, broken = sampled_poses(spec, output, at)
    np.testing.assert_allclose(first[:, :3], np.tile([0.4, 0.0, 0.2], (16, 1)), atol=1e-6)
    np.testing.assert_allclose(second[:, :3], np.tile([0.3, -0.2, 0.2], (16, 1)), atol=1e-6)
    np.testing.assert_allclose(first[:, 3:], np.tile([0, 0, 0, 1.0], (16, 1)))
    assert broken is None


# ---- messages (the rclpy message packages) ------------------------------------------------
def test_pose_messages_are_in_the_base_frame_stamped_with_the_tick():
    pytest.importorskip('geometry_msgs')
    from imle_policy_ros.ros.command_layout import CommandLayout
    from imle_policy_ros.ros.command_outputs import PoseOutput
    from rclpy.serialization import deserialize_message, serialize_message

    layout = CommandLayout.create((), ee_spec())
    msg = PoseOutput().message(ee_command(POSE, t=12.5), layout, 0.01)
    assert msg.header.frame_id == 'base_link'
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (12, 500_000_000)
    p, q = msg.pose.position, msg.pose.orientation
    assert [p.x, p.y, p.z, q.x, q.y, q.z, q.w] == POSE.tolist()
    back = deserialize_message(serialize_message(msg), type(msg))
    assert back.pose.position.x == 0.4 and back.header.frame_id == 'base_link'


def test_twist_messages_carry_the_corrected_velocity_and_zero_on_a_hold():
    pytest.importorskip('geometry_msgs')
    from imle_policy_ros.ros.command_layout import CommandLayout
    from imle_policy_ros.ros.command_outputs import TwistOutput

    layout = CommandLayout.create((), ee_spec())
    output = TwistOutput(CORRECTION)
    measured = POSE - [0.01, 0, 0, 0, 0, 0, 0]
    msg = output.message(ee_command(twist=([0.05, 0, 0], [0, 0, 0])), layout, 0.01, measured)
    assert msg.header.frame_id == 'base_link'
    assert msg.twist.linear.x == pytest.approx(0.05 + 2.0 * 0.01)
    held = output.message(ee_command(holding=True), layout, 0.01, measured)
    twist = held.twist
    values = [twist.linear.x, twist.linear.y, twist.linear.z]
    values += [twist.angular.x, twist.angular.y, twist.angular.z]
    assert values == [0.0] * 6


def test_the_command_record_of_an_end_effector_command_carries_the_gripper():
    pytest.importorskip('std_msgs')
    from imle_policy_ros.ros.command_info import cartesian_record_of, command_info, record_of
    from imle_policy_ros.ros.command_layout import POSE_NAMES

    for gripper in (1.0, None):
        msg = command_info(7, ee_command(gripper=gripper), POSE, POSE_NAMES, gripper=True)
        assert msg.layout.dim[0].label.endswith('position:qw,gripper')
        record = cartesian_record_of(msg, frame_id='base_link')
        np.testing.assert_array_equal(record.pose, POSE)
        assert record.gripper == gripper and record.seq == 7 and record.frame_id == 'base_link'
        np.testing.assert_array_equal(record_of(msg).positions, POSE)  # the gripper is apart


def test_the_predicted_path_and_the_sampled_paths_as_messages():
    nav = pytest.importorskip('nav_msgs.msg')
    visualization = pytest.importorskip('visualization_msgs.msg')
    from imle_policy_ros.ros import messages
    from imle_policy_ros.ros.path_markers import marker_array, path_message

    poses = np.tile(POSE, (4, 1))
    poses[:, 0] += np.arange(4) * 0.01
    times = 100.0 + np.arange(4) * 0.1
    path = path_message(nav.Path, poses, times, 'base_link')
    assert path.header.frame_id == 'base_link' and len(path.poses) == 4
    assert [p.pose.position.x for p in path.poses] == pytest.approx(poses[:, 0])
    assert path.poses[2].header.stamp.nanosec == 200_000_000

    stamp = messages.seconds_to_stamp(100.0)
    array = marker_array(visualization, [poses, None, poses + 0.1], 2, 'base_link', stamp)
    delete_all, *lines = array.markers
    assert delete_all.action == visualization.Marker.DELETEALL
    assert [m.id for m in lines] == [0, 2]  # the sample that is not a pose is left out
    assert [m.ns for m in lines] == ['samples', 'chosen']
    assert lines[1].scale.x > lines[0].scale.x and len(lines[1].points) == 4
    assert all(m.header.frame_id == 'base_link' for m in lines)


def test_a_layout_with_rotation_decodes_samples_as_the_controller_does():
    layout = EePoseLayout('base_link', 'tool0', rotation='6d', reference='absolute')
    spec = ee_spec(layout)
    quaternion = rotations.from_rotation_vector([0.0, 0.0, 0.3])
    actions = layout.encode(np.tile(np.concatenate([[0.1, 0.2, 0.3], quaternion]), (16, 1)))
    output = PolicyOutput(actions, 0, spec.action_stats.normalize(actions[None]), 1.0, False)
    (poses,) = sampled_poses(spec, output, POSE)
    np.testing.assert_allclose(poses[:, :3], np.tile([0.1, 0.2, 0.3], (16, 1)), atol=1e-6)
    angle = rotations.angle_between(poses[:, 3:], quaternion)
    assert np.max(angle) < 1e-5
