# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
realsense_camera: an Intel RealSense camera as sensor_msgs/Image.

    ros2 run imle_policy_ros realsense_node --ros-args -p serial_no:=123456789 -p fps:=30

The camera node (camera_node.py) named `realsense_camera`, with the RealSense as its
default driver: colour on ~/color/image_raw (rgb8) and, with enable_depth, depth on
~/depth/image_rect_raw (16UC1, millimetres on D400 cameras), stamped with capture times
on the host clock. Parameters: serial_no, width, height, fps, enable_depth, camera_name,
frame_id (and the camera node's others).
"""

from __future__ import annotations

from dataclasses import dataclass

from .camera_node import CAMERA_DRIVERS, CameraNode, CameraNodeConfig, run_camera_node
from ..settings import setting


@dataclass(frozen=True)
class RealSenseNodeConfig(CameraNodeConfig):
    driver: str = setting(
        'realsense',
        'the camera: realsense (pyrealsense2) or opencv',
        choices=tuple(CAMERA_DRIVERS),
    )


class RealSenseNode(CameraNode):
    config_type = RealSenseNodeConfig

    def __init__(self, **kwargs):
        super().__init__('realsense_camera', **kwargs)


def main(args=None) -> int:
    """Run realsense_node; exit status 1 when the camera cannot start or dies."""
    return run_camera_node(RealSenseNode, args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
