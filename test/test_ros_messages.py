# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Building and reading the ROS messages (needs the rclpy message packages, no ROS graph)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

from builtin_interfaces.msg import Time  # noqa: E402, I100
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus  # noqa: E402
from imle_policy_ros.ros import messages  # noqa: E402
from rclpy.serialization import deserialize_message, serialize_message  # noqa: E402
from sensor_msgs.msg import Image  # noqa: E402
from trajectory_msgs.msg import JointTrajectory  # noqa: E402


# ---- time ------------------------------------------------------------------------------
def test_stamp_seconds():
    assert messages.stamp_seconds(Time(sec=3, nanosec=250_000_000)) == pytest.approx(3.25)


@pytest.mark.parametrize('t', [0.0, 1.5, 12.000000001, 1_700_000_000.123456])
def test_stamp_round_trip(t):
    stamp = messages.seconds_to_stamp(t)
    assert 0 <= stamp.nanosec < 1_000_000_000
    assert messages.stamp_seconds(stamp) == pytest.approx(t, abs=1e-6)


def test_stamp_fields():
    stamp = messages.seconds_to_stamp(7.000000123)
    assert (stamp.sec, stamp.nanosec) == (7, 123)


def test_nanosecond_rounding_carries_into_seconds():
    stamp = messages.seconds_to_stamp(1.9999999999)
    assert (stamp.sec, stamp.nanosec) == (2, 0)
    d = messages.duration(2.9999999996)
    assert (d.sec, d.nanosec) == (3, 0)


def test_duration():
    d = messages.duration(1.25)
    assert (d.sec, d.nanosec) == (1, 250_000_000)
    d = messages.duration(0.01)
    assert (d.sec, d.nanosec) == (0, 10_000_000)


# ---- trajectories ------------------------------------------------------------------------
def sample_trajectory() -> JointTrajectory:
    positions = np.array([[0.1, -0.2], [0.3, -0.4], [0.5, -0.6]], dtype=np.float32)
    return messages.joint_trajectory(('b', 'a'), np.array([0.1, 0.2, 0.3]), positions)


def test_joint_trajectory_points():
    msg = sample_trajectory()
    assert list(msg.joint_names) == ['b', 'a']
    assert len(msg.points) == 3
    starts = [p.time_from_start.sec + p.time_from_start.nanosec * 1e-9 for p in msg.points]
    assert starts == pytest.approx([0.1, 0.2, 0.3])
    assert np.all(np.diff(starts) > 0)
    for point in msg.points:
        values = list(point.positions)
        assert len(values) == 2 and all(type(v) is float for v in values)
    assert list(msg.points[1].positions) == pytest.approx([0.3, -0.4])
    assert (msg.header.stamp.sec, msg.header.stamp.nanosec) == (0, 0)  # zero: start now


def test_joint_trajectory_with_a_stamp():
    msg = messages.joint_trajectory(['a'], [0.5], [[1.0]], stamp=messages.seconds_to_stamp(4.5))
    assert messages.stamp_seconds(msg.header.stamp) == pytest.approx(4.5)


def test_trajectory_positions_at_start_round_trip():
    positions = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    times = np.array([0.01, 0.02, 0.5])
    names, read_times, read_positions = messages.trajectory_positions_at_start(
        messages.joint_trajectory(['x', 'y'], times, positions)
    )
    assert names == ['x', 'y']
    np.testing.assert_allclose(read_times, times, atol=1e-9)
    np.testing.assert_array_equal(read_positions, positions)
    assert read_positions.dtype == np.float64


def test_joint_trajectory_survives_the_wire():
    msg = sample_trajectory()
    back = deserialize_message(serialize_message(msg), JointTrajectory)
    assert back == msg
    names, times, positions = messages.trajectory_positions_at_start(back)
    assert names == ['b', 'a']
    np.testing.assert_allclose(times, [0.1, 0.2, 0.3], atol=1e-9)
    np.testing.assert_allclose(positions, [[0.1, -0.2], [0.3, -0.4], [0.5, -0.6]], atol=1e-7)


def test_float64_array():
    msg = messages.float64_array(np.array([[1, 2], [3, 4]], dtype=np.int32))
    assert list(msg.data) == [1.0, 2.0, 3.0, 4.0]
    assert all(type(v) is float for v in msg.data)


def test_joint_state():
    msg = messages.joint_state(
        ('a', 'b'), np.array([1.0, 2.0]), [0.0, -1.0], messages.seconds_to_stamp(2.0)
    )
    assert list(msg.name) == ['a', 'b']
    assert list(msg.position) == [1.0, 2.0] and list(msg.velocity) == [0.0, -1.0]
    assert messages.stamp_seconds(msg.header.stamp) == 2.0


# ---- images ---------------------------------------------------------------------------
@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8'])
def test_image_round_trip(encoding):
    frame = np.random.default_rng(0).integers(0, 256, (6, 9, 3), dtype=np.uint8)
    msg = messages.rgb_to_image(frame, messages.seconds_to_stamp(1.5), 'cam', encoding=encoding)
    assert (msg.height, msg.width, msg.encoding, msg.step) == (6, 9, encoding, 27)
    assert msg.header.frame_id == 'cam'
    back = messages.image_to_frame(msg)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, frame)
    # and after the wire
    np.testing.assert_array_equal(
        messages.image_to_frame(deserialize_message(serialize_message(msg), Image)), frame
    )


def test_depth_images_become_metres_for_a_depth_camera_to_use():
    mm = np.array([[0, 500, 1000], [1500, 2000, 65535]], dtype=np.uint16)
    frame = messages.image_to_frame(messages.rgb_to_image(mm, Time(), 'depth', encoding='16UC1'))
    assert frame.dtype == np.float32 and frame.shape == (2, 3)
    np.testing.assert_allclose(frame, mm / 1000.0, rtol=1e-6)
    metres = np.array([[0.25, np.nan]], dtype=np.float32)
    same = messages.image_to_frame(
        messages.rgb_to_image(metres, Time(), 'depth', encoding='32FC1')
    )
    np.testing.assert_array_equal(same, metres)


# ---- diagnostics ----------------------------------------------------------------------
@pytest.mark.parametrize('level, expected', [('ok', 0), ('warn', 1), ('error', 2)])
def test_diagnostics_round_trip(level, expected):
    msg = messages.diagnostic_array(
        messages.seconds_to_stamp(3.0),
        'imle_policy: control',
        'hw',
        level,
        'all good',
        {'rate_hz': 99.87654, 'chunks': 12, 'mode': 'shadow'},
    )
    assert msg.status[0].level == getattr(DiagnosticStatus, level.upper())
    for m in (msg, deserialize_message(serialize_message(msg), DiagnosticArray)):
        values = messages.diagnostic_values(m)
        assert values == {
            'rate_hz': '99.88',
            'chunks': '12',
            'mode': 'shadow',
            '_message': 'all good',
            '_level': expected,
        }


# ---- malformed trajectories (what the simulated arm receives) ----------------------------
def empty_trajectory() -> JointTrajectory:
    return JointTrajectory(
        joint_names=['a', 'b']
    )  # what `ros2 topic pub ... "{joint_names: [a, b]}"` sends


def ragged_trajectory() -> JointTrajectory:
    msg = messages.joint_trajectory(['a', 'b'], [0.1, 0.2], [[1.0, 2.0], [3.0, 4.0]])
    msg.points[1].positions = [3.0]
    return msg


def test_empty_trajectory_reads_as_no_points():
    names, times, positions = messages.trajectory_positions_at_start(empty_trajectory())
    assert names == ['a', 'b']
    assert times.shape == (0,)
    assert positions.shape == (0, 2)


@pytest.fixture
def sim_robot():
    import random

    from imle_policy_ros.ros.sim_robot_node import SimRobotNode
    import rclpy
    from rclpy.parameter import Parameter

    context = rclpy.Context()
    # a domain of its own (ros_harness uses 1..100): no other test sees this node
    rclpy.init(context=context, domain_id=random.randint(150, 200))
    node = SimRobotNode(context=context, parameter_overrides=[Parameter('image_size', value=16)])
    try:
        yield node
    finally:
        node.destroy_node()
        rclpy.try_shutdown(context=context)


def test_sim_robot_counts_a_refused_trajectory(sim_robot):
    msg = messages.joint_trajectory(['wrist', 'elbow'], [0.1], [[1.0, 2.0]])
    sim_robot._on_trajectory(msg)  # the subscription callback, called directly (nothing spins)
    assert sim_robot.rejected_commands == 1


@pytest.mark.parametrize('make', [empty_trajectory, ragged_trajectory], ids=['empty', 'ragged'])
def test_sim_robot_refuses_a_malformed_trajectory_instead_of_raising(sim_robot, make):
    msg = make()
    msg.joint_names = list(sim_robot.follower.joint_names)
    sim_robot._on_trajectory(msg)
    assert sim_robot.rejected_commands == 1
