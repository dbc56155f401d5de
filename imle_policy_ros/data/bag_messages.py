# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ROS 2 messages as `rosbags` typestore objects: built from numpy, and their stamps read back.

The bag tools never import rclpy: they build the message classes of a rosbags typestore
(the real ROS 2 definitions of the chosen distro) and serialize them to CDR themselves.
Pixel packing goes through cameras/image_codec, the same code the live nodes use, so a
frame written here decodes exactly as a live one would.

Times are integer nanoseconds throughout: a float second cannot hold a 2024 epoch time to
the nanosecond, and the conversion lines camera frames up with dataset steps by equality.
"""

from __future__ import annotations

import numpy as np

from ..cameras.image_codec import encode_compressed, encode_image

IMAGE = 'sensor_msgs/msg/Image'
COMPRESSED_IMAGE = 'sensor_msgs/msg/CompressedImage'
JOINT_STATE = 'sensor_msgs/msg/JointState'
JOINT_TRAJECTORY = 'trajectory_msgs/msg/JointTrajectory'
FLOAT64_ARRAY = 'std_msgs/msg/Float64MultiArray'
POSE_STAMPED = 'geometry_msgs/msg/PoseStamped'
TWIST_STAMPED = 'geometry_msgs/msg/TwistStamped'
TF_MESSAGE = 'tf2_msgs/msg/TFMessage'

_NS = 1_000_000_000


def _time(ts, ns: int, kind: str = 'builtin_interfaces/msg/Time'):
    ns = int(ns)
    if ns < 0:
        raise ValueError(f'{kind}: negative time {ns} ns')
    return ts.types[kind](sec=ns // _NS, nanosec=ns % _NS)


def _header(ts, stamp_ns: int, frame_id: str = ''):
    return ts.types['std_msgs/msg/Header'](stamp=_time(ts, stamp_ns), frame_id=frame_id)


def _float64s(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).ravel().copy()


def image_message(ts, pixels: np.ndarray, stamp_ns: int, frame_id: str, encoding: str = 'rgb8'):
    """sensor_msgs/Image of an RGB(A) uint8 array (or [H, W] uint16/float32 for depth)."""
    raw = encode_image(pixels, encoding)
    return ts.types[IMAGE](
        header=_header(ts, stamp_ns, frame_id),
        height=raw.height,
        width=raw.width,
        encoding=raw.encoding,
        is_bigendian=raw.is_bigendian,
        step=raw.step,
        data=np.frombuffer(raw.data, dtype=np.uint8).copy(),
    )


def compressed_image_message(
    ts, rgb: np.ndarray, stamp_ns: int, frame_id: str, fmt: str = 'jpeg', quality: int = 90
):
    """sensor_msgs/CompressedImage as image_transport's `compressed` publisher writes it."""
    format_string, data = encode_compressed(rgb, fmt, quality)
    return ts.types[COMPRESSED_IMAGE](
        header=_header(ts, stamp_ns, frame_id),
        format=format_string,
        data=np.frombuffer(data, dtype=np.uint8).copy(),
    )


def joint_state_message(ts, names, positions, velocities, stamp_ns: int):
    return ts.types[JOINT_STATE](
        header=_header(ts, stamp_ns),
        name=[str(n) for n in names],
        position=_float64s(positions),
        velocity=_float64s(velocities),
        effort=np.zeros(0, dtype=np.float64),
    )


def joint_trajectory_message(ts, joint_names, positions, time_from_start_ns: int, stamp_ns: int):
    """
    One-point JointTrajectory: reach `positions` `time_from_start_ns` after the stamp.

    A non-zero stamp tells the controller when the trajectory starts; it is the moment the
    command is sent, so it means the same as the zero ("start now") the policy node sends,
    and a recording keeps the send time in the message itself.
    """
    point = ts.types['trajectory_msgs/msg/JointTrajectoryPoint'](
        positions=_float64s(positions),
        velocities=np.zeros(0),
        accelerations=np.zeros(0),
        effort=np.zeros(0),
        time_from_start=_time(ts, time_from_start_ns, 'builtin_interfaces/msg/Duration'),
    )
    return ts.types[JOINT_TRAJECTORY](
        header=_header(ts, stamp_ns), joint_names=[str(n) for n in joint_names], points=[point]
    )


def float64_array_message(ts, values):
    """forward_position_controller's command: no header, so only the log time dates it."""
    layout = ts.types['std_msgs/msg/MultiArrayLayout'](dim=[], data_offset=0)
    return ts.types[FLOAT64_ARRAY](layout=layout, data=_float64s(values))


def _pose(ts, pose7):
    x, y, z, qx, qy, qz, qw = (float(v) for v in np.asarray(pose7, dtype=np.float64).ravel())
    return ts.types['geometry_msgs/msg/Pose'](
        position=ts.types['geometry_msgs/msg/Point'](x=x, y=y, z=z),
        orientation=ts.types['geometry_msgs/msg/Quaternion'](x=qx, y=qy, z=qz, w=qw),
    )


def pose_stamped_message(ts, pose7, frame_id: str, stamp_ns: int):
    """geometry_msgs/PoseStamped of a pose (x, y, z, qx, qy, qz, qw) in `frame_id`."""
    return ts.types[POSE_STAMPED](header=_header(ts, stamp_ns, frame_id), pose=_pose(ts, pose7))


def twist_stamped_message(ts, linear, angular, frame_id: str, stamp_ns: int):
    """geometry_msgs/TwistStamped of linear (m/s) and angular (rad/s) velocities."""
    vector = ts.types['geometry_msgs/msg/Vector3']
    lx, ly, lz = (float(v) for v in linear)
    ax, ay, az = (float(v) for v in angular)
    twist = ts.types['geometry_msgs/msg/Twist'](
        linear=vector(x=lx, y=ly, z=lz), angular=vector(x=ax, y=ay, z=az)
    )
    return ts.types[TWIST_STAMPED](header=_header(ts, stamp_ns, frame_id), twist=twist)


def tf_message(ts, transforms, stamp_ns: int):
    """
    Build a tf2_msgs/TFMessage of (parent frame, child frame, pose7) transforms.

    Each pose is the child frame's pose in the parent frame, all stamped `stamp_ns`.
    """
    vector = ts.types['geometry_msgs/msg/Vector3']
    items = []
    for parent, child, pose7 in transforms:
        x, y, z, qx, qy, qz, qw = (float(v) for v in np.asarray(pose7, dtype=np.float64).ravel())
        transform = ts.types['geometry_msgs/msg/Transform'](
            translation=vector(x=x, y=y, z=z),
            rotation=ts.types['geometry_msgs/msg/Quaternion'](x=qx, y=qy, z=qz, w=qw),
        )
        items.append(
            ts.types['geometry_msgs/msg/TransformStamped'](
                header=_header(ts, stamp_ns, parent), child_frame_id=child, transform=transform
            )
        )
    return ts.types[TF_MESSAGE](transforms=items)


def pose_of(msg_pose) -> np.ndarray:
    """Return (x, y, z, qx, qy, qz, qw) of a geometry_msgs/Pose (or Transform)."""
    p = getattr(msg_pose, 'position', None) or msg_pose.translation
    q = getattr(msg_pose, 'orientation', None) or msg_pose.rotation
    return np.array([p.x, p.y, p.z, q.x, q.y, q.z, q.w], dtype=np.float64)


def header_stamp_ns(msg) -> int:
    """Return the header stamp in ns; 0 for a message without a header (or an unset stamp)."""
    header = getattr(msg, 'header', None)
    if header is None:
        return 0
    return int(header.stamp.sec) * _NS + int(header.stamp.nanosec)
