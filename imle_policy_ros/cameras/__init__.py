# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Camera drivers and image conversion for the nodes: numpy + OpenCV only, no rclpy.

Everything here works on message *fields* and plain arrays so it is tested without ROS;
`ros/camera_node.py` is the thin rclpy wiring on top. A camera is a CameraDriver
(driver.py): RealSenseCamera (pyrealsense2) or OpenCVCamera (V4L2 webcams, files, URLs).
OpenCV and pyrealsense2 are imported when a camera starts, not with this package.
"""

from .device_clock import ClockSyncConfig, DeviceClockSync
from .driver import CameraDriver
from .frame import CameraFrame, CameraUnavailable, capture_stamp, HOST_DOMAINS
from .image_codec import (
    decode_compressed,
    decode_image,
    encode_compressed,
    encode_image,
    ImageRejected,
    RawImage,
)
from .opencv_camera import OpenCVCamera, OpenCVConfig
from .realsense import RealSenseCamera, RealSenseConfig

__all__ = [
    'CameraDriver',
    'CameraFrame',
    'CameraUnavailable',
    'ClockSyncConfig',
    'DeviceClockSync',
    'HOST_DOMAINS',
    'ImageRejected',
    'OpenCVCamera',
    'OpenCVConfig',
    'RawImage',
    'RealSenseCamera',
    'RealSenseConfig',
    'capture_stamp',
    'decode_compressed',
    'decode_image',
    'encode_compressed',
    'encode_image',
]
