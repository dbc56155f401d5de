# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Inputs broken on purpose, the way drivers and transports break them.

That is what sim_robot_node publishes while one of its fault switches is on (fault tests,
`imle-policy-ros soak`).

Image faults (`image_fault`), each of which the policy must refuse, count and log:
  wrong_encoding      a colour format the policy does not decode (yuv422, as some USB
                      cameras publish)
  wrong_size          the header's height does not match the pixels sent
  bad_step            a row length (step) shorter than a row of pixels
  corrupt_compressed  the JPEG of the compressed camera cut in half (a truncated transfer)
An image of another resolution than the bundle's is not a fault: frames are resized to
the model's input (runtime/preprocess.py), as any camera's would be.

Joint-state faults (`joint_state_fault`):
  missing_joint       the last joint left out           -> refused, the arm holds
  nan                 the first joint's position NaN    -> refused, the arm holds
  extra_joint         a joint the policy does not use added at the end
  reordered           the joints listed in reverse order
The last two are legal in ROS (a JointState may carry more joints than the arm, in any
order): they are matched by name and control goes on.

Stamp faults of the camera frames (`stamp_fault`):
  late                stamped `stamp_fault_delay` s before they were taken
  out_of_order        each frame stamped as far before the fault began as it is after it,
                      so every stamp is older than the one before
  duplicate           every frame stamped with the moment the fault began
"""

from __future__ import annotations

import array

IMAGE_FAULTS = ('none', 'wrong_encoding', 'wrong_size', 'bad_step', 'corrupt_compressed')
JOINT_STATE_FAULTS = ('none', 'missing_joint', 'extra_joint', 'reordered', 'nan')
STAMP_FAULTS = ('none', 'late', 'out_of_order', 'duplicate')
EXTRA_JOINT = 'gripper_finger_joint'


def break_image(msg, fault: str):
    """Break a sensor_msgs/Image in place (and return it) as `fault` says."""
    if fault == 'wrong_encoding':
        msg.encoding = 'yuv422'
    elif fault == 'wrong_size':
        msg.height += 1
    elif fault == 'bad_step':
        msg.step = msg.width * 3 - 3
    return msg


def break_compressed(msg, fault: str):
    """Break a sensor_msgs/CompressedImage in place (and return it)."""
    if fault == 'corrupt_compressed':
        raw = bytes(msg.data)
        msg.data = array.array('B', raw[: len(raw) // 2])
    return msg


def break_joint_state(msg, fault: str):
    """Break a sensor_msgs/JointState in place (and return it)."""
    names, positions, velocities = list(msg.name), list(msg.position), list(msg.velocity)
    if fault == 'missing_joint':
        names, positions, velocities = names[:-1], positions[:-1], velocities[:-1]
    elif fault == 'extra_joint':
        names, positions, velocities = names + [EXTRA_JOINT], positions + [0.0], velocities + [0.0]
    elif fault == 'reordered':
        names, positions, velocities = names[::-1], positions[::-1], velocities[::-1]
    elif fault == 'nan':
        positions[0] = float('nan')
    msg.name = names
    msg.position = array.array('d', positions)
    msg.velocity = array.array('d', velocities)
    return msg


class FrameStamper:
    """
    The stamp each camera frame carries.

    That is the moment it was taken, unless a stamp fault is on. Faulty stamps are anchored
    on the last good one, so that every faulty frame is older than (out_of_order) or as old
    as (duplicate) a frame already published.
    """

    def __init__(self):
        self._fault = 'none'
        self._since = 0.0  # when the fault began
        self._last_good: float | None = None

    def stamp(self, taken: float, fault: str, delay: float) -> float:
        if fault != self._fault:
            self._fault, self._since = fault, taken
        anchor = taken if self._last_good is None else self._last_good
        if fault == 'late':
            return taken - delay
        if fault == 'out_of_order':
            return anchor - (taken - self._since) - 1e-3
        if fault == 'duplicate':
            return anchor
        self._last_good = taken
        return taken
