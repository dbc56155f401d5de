# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What a camera driver provides to the camera node: start, read frames, stop.

The node (ros/camera_node.py) only ever talks to this protocol, so a new camera is a class
with these members and one line in the node's CAMERA_DRIVERS registry. RealSenseCamera
(realsense.py) and OpenCVCamera (opencv_camera.py) satisfy it.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from .frame import CameraFrame


@runtime_checkable
class CameraDriver(Protocol):
    """
    One camera: start() -> read() ... -> stop().

    `description` names the camera for the log ('RealSense 123456', 'OpenCV /dev/video0');
    `has_depth` says whether its frames carry depth, so the node knows which topics to
    offer before the first frame arrives.
    """

    @property
    def description(self) -> str: ...

    @property
    def has_depth(self) -> bool: ...

    def start(self) -> None:
        """
        Open the camera and start streaming.

        Raises CameraUnavailable with one sentence saying why and what to do; nothing is
        left open then.
        """
        ...

    def read(self, timeout_s: float = 1.0) -> CameraFrame:
        """
        Block until the next frame and return it.

        Raises TimeoutError when none arrives within about `timeout_s` (the camera stalled,
        or a recording ended); RuntimeError before start().
        """
        ...

    def stop(self) -> None:
        """Stop streaming and release the camera; safe to call twice or after a failed start."""
        ...
