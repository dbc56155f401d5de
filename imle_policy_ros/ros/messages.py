# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Building and reading the ROS messages the nodes exchange; no decisions here.

Notes from rclpy: float64[] fields take lists or array.array('d') (not numpy arrays);
uint8[] fields are fastest as array.array('B', raw) and read with np.frombuffer.
"""

from __future__ import annotations

import array

from builtin_interfaces.msg import Duration, Time
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from geometry_msgs.msg import Point, Pose, PoseStamped, Quaternion, TwistStamped, Vector3
import numpy as np
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float64MultiArray
from trajectory_msgs.msg import JointTrajectory, JointTrajectoryPoint

from ..cameras.image_codec import decode_image_message, encode_image


def stamp_seconds(stamp: Time) -> float:
    return stamp.sec + stamp.nanosec * 1e-9


def seconds_to_stamp(t: float) -> Time:
    nanoseconds = int(round(t * 1e9))
    return Time(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def duration(seconds: float) -> Duration:
    nanoseconds = int(round(seconds * 1e9))
    return Duration(sec=nanoseconds // 1_000_000_000, nanosec=nanoseconds % 1_000_000_000)


def _float64s(values) -> array.array:
    return array.array('d', np.asarray(values, dtype=np.float64).ravel().tolist())


# ---- images ---------------------------------------------------------------------------
def image_to_frame(msg) -> np.ndarray:
    """
    Decode a sensor_msgs/Image or CompressedImage into the frame a policy sees.

    uint8 RGB [H, W, 3], or float32 [H, W] depth in metres for 16UC1 / 32FC1
    (cameras.image_codec.decode_image_message); ImageRejected says why not. Whether the
    model takes that kind of frame is the camera's to say.
    """
    return decode_image_message(msg, compressed=isinstance(msg, CompressedImage))


def rgb_to_image(frame: np.ndarray, stamp: Time, frame_id: str, encoding: str = 'rgb8') -> Image:
    """
    Build an Image from an RGB frame (uint8 [H, W, 3]) or any array `encoding` takes.

    cameras.image_codec.encode_image says which: uint16 [H, W] for 16UC1, float32 [H, W]
    for 32FC1.
    """
    raw = encode_image(frame, encoding)
    msg = Image(
        height=raw.height, width=raw.width, encoding=raw.encoding, is_bigendian=0, step=raw.step
    )
    msg.header.stamp = stamp
    msg.header.frame_id = frame_id
    msg.data = array.array('B', raw.data)
    return msg


def depth_to_image(depth: np.ndarray, stamp: Time, frame_id: str) -> Image:
    """Build a 16UC1 Image from a uint16 [H, W] depth frame (millimetres, REP 118)."""
    return rgb_to_image(depth, stamp, frame_id, encoding='16UC1')


# ---- joint states and commands -------------------------------------------------------
def joint_state(names, positions, velocities, stamp: Time) -> JointState:
    msg = JointState(
        name=list(names), position=_float64s(positions), velocity=_float64s(velocities)
    )
    msg.header.stamp = stamp
    return msg


def joint_trajectory(
    joint_names, times_from_start, positions, stamp: Time | None = None
) -> JointTrajectory:
    """
    Build a JointTrajectory of positions only (controllers interpolate linearly).

    stamp None = zero = start now, which avoids rejections from clock skew between this
    host and the controller's.
    """
    msg = JointTrajectory(joint_names=list(joint_names))
    if stamp is not None:
        msg.header.stamp = stamp
    msg.points = [
        JointTrajectoryPoint(positions=_float64s(p), time_from_start=duration(t))
        for t, p in zip(times_from_start, positions)
    ]
    return msg


def float64_array(values) -> Float64MultiArray:
    return Float64MultiArray(data=_float64s(values))


def trajectory_positions_at_start(
    msg: JointTrajectory,
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """
    Return (joint names, [K] times from start in s, [K, D] positions) of a JointTrajectory.

    Raises ValueError for points with different numbers of positions.
    """
    times = np.array(
        [p.time_from_start.sec + p.time_from_start.nanosec * 1e-9 for p in msg.points]
    )
    sizes = {len(p.positions) for p in msg.points}
    if len(sizes) > 1:
        raise ValueError(
            f'joint trajectory points have different numbers of positions {sorted(sizes)}'
        )
    width = sizes.pop() if sizes else len(msg.joint_names)
    positions = np.array([list(p.positions) for p in msg.points], dtype=np.float64)
    return list(msg.joint_names), times, positions.reshape(len(msg.points), width)


# ---- end-effector poses and twists ----------------------------------------------------
def pose(values) -> Pose:
    """Build a Pose from (x, y, z, qx, qy, qz, qw)."""
    x, y, z, qx, qy, qz, qw = np.asarray(values, dtype=np.float64).reshape(7).tolist()
    return Pose(position=Point(x=x, y=y, z=z), orientation=Quaternion(x=qx, y=qy, z=qz, w=qw))


def pose_stamped(values, frame_id: str, stamp: Time) -> PoseStamped:
    """Build a PoseStamped of (x, y, z, qx, qy, qz, qw) in `frame_id`."""
    msg = PoseStamped(pose=pose(values))
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    return msg


def pose_values(msg: Pose) -> np.ndarray:
    """Return (x, y, z, qx, qy, qz, qw) [7] of a Pose."""
    p, q = msg.position, msg.orientation
    return np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w], dtype=np.float64)


def twist_stamped(linear, angular, frame_id: str, stamp: Time) -> TwistStamped:
    """Build a TwistStamped of linear [3] (m/s) and angular [3] (rad/s) in `frame_id`."""
    msg = TwistStamped()
    msg.twist.linear, msg.twist.angular = _vector3(linear), _vector3(angular)
    msg.header.frame_id = frame_id
    msg.header.stamp = stamp
    return msg


def _vector3(values) -> Vector3:
    x, y, z = np.asarray(values, dtype=np.float64).reshape(3).tolist()
    return Vector3(x=x, y=y, z=z)


# ---- diagnostics ----------------------------------------------------------------------
LEVELS = {
    'ok': DiagnosticStatus.OK,
    'warn': DiagnosticStatus.WARN,
    'error': DiagnosticStatus.ERROR,
}


def diagnostic_array(
    stamp: Time, name: str, hardware_id: str, level: str, message: str, values: dict
) -> DiagnosticArray:
    status = DiagnosticStatus(
        level=LEVELS[level],
        name=name,
        hardware_id=hardware_id,
        message=message,
        values=[KeyValue(key=k, value=_text(v)) for k, v in values.items()],
    )
    msg = DiagnosticArray(status=[status])
    msg.header.stamp = stamp
    return msg


def _text(value) -> str:
    if isinstance(value, float):
        return f'{value:.4g}'
    return str(value)


def status_values(status) -> dict[str, str | int]:
    """Return one DiagnosticStatus's key/values, its message (`_message`) and level (`_level`)."""
    values = {kv.key: kv.value for kv in status.values}
    values['_message'] = status.message
    level = status.level  # bytes in rclpy's generated message, int elsewhere
    values['_level'] = int.from_bytes(level, 'little') if isinstance(level, bytes) else int(level)
    return values


def diagnostic_values(msg: DiagnosticArray) -> dict[str, str]:
    """All key/values of every status in the array (what tests and tools read)."""
    values = {}
    for status in msg.status:
        for key, value in status_values(status).items():
            if key.startswith('_'):
                values.setdefault(key, value)
            else:
                values[key] = value
    return values
