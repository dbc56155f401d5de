# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What a camera driver hands over: one frame, its timestamps, and the error for "no camera".

Kept apart from any one driver so every driver (driver.py: RealSense, OpenCV) hands the
node the same frame type, and the node has one rule for turning a frame's timestamps into a
message stamp.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .device_clock import DeviceClockSync
from ..errors import Refusal

# Timestamp domains whose values are already host system-clock time (seconds since the
# epoch): librealsense stamps SYSTEM_TIME on arrival and converts GLOBAL_TIME from the
# hardware clock itself. Only HARDWARE_CLOCK needs translating.
HOST_DOMAINS = ('system_time', 'global_time')


class CameraUnavailable(Refusal, RuntimeError):
    """
    The camera cannot be opened (driver missing, no device, wrong serial, bad profile).

    The message says what was found and what to do; callers print it, not a traceback
    (a Refusal: a node that cannot open its camera logs it as one line and exits 1).
    """


@dataclass(frozen=True)
class CameraFrame:
    color_rgb: np.ndarray  # uint8 [H, W, 3], owned by the frame (not a driver buffer)
    depth: np.ndarray | None  # uint16 [H, W] in the camera's depth units, or None
    device_time_s: float  # the frame's timestamp in `timestamp_domain`, seconds
    host_time_s: float  # host system clock (time.time()) when the frame arrived
    frame_number: int
    timestamp_domain: str = 'hardware_clock'  # or one of HOST_DOMAINS


def capture_stamp(frame: CameraFrame, sync: DeviceClockSync) -> float:
    """Return the frame's capture time on the host clock, in seconds, never after it arrived."""
    if frame.timestamp_domain in HOST_DOMAINS:
        # Already host time. Passing it through the sync would add the minimum latency
        # that librealsense has already accounted for.
        return min(frame.device_time_s, frame.host_time_s)
    return sync.to_host(frame.device_time_s, frame.host_time_s)
