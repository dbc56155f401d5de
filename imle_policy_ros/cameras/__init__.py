# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Camera drivers and image conversion for the nodes: numpy + OpenCV only, no rclpy.

Everything here works on message *fields* and plain arrays so it is tested without ROS;
`ros/realsense_node.py` is the thin rclpy wiring on top.
"""

from .device_clock import ClockSyncConfig, DeviceClockSync
from .frame import CameraFrame, CameraUnavailable, capture_stamp, HOST_DOMAINS
from .image_codec import (
    decode_compressed,
    decode_image,
    encode_compressed,
    encode_image,
    ImageRejected,
    RawImage,
)
from .realsense import RealSenseCamera, RealSenseConfig

__all__ = [
    'CameraFrame',
    'CameraUnavailable',
    'ClockSyncConfig',
    'DeviceClockSync',
    'HOST_DOMAINS',
    'ImageRejected',
    'RawImage',
    'RealSenseCamera',
    'RealSenseConfig',
    'capture_stamp',
    'decode_compressed',
    'decode_image',
    'encode_compressed',
    'encode_image',
]
