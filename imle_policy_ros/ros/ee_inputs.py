# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The measured end-effector pose in (ee_pose bundles), and what the node reports about it.

The pose comes as geometry_msgs/PoseStamped on `ee_pose_topic` (a Cartesian controller's
`current_pose`, a TCP pose broadcaster) and must be in the base frame the bundle learned
in: there is no TF here (tf2_ros has no pip wheel), so a pose in another frame cannot be
transformed and is refused and counted, like any input that cannot be used; without a
usable pose the input goes stale and the arm holds. Sensor-data QoS, as the joint states:
a best-effort reader matches reliable and best-effort publishers alike.
"""

from __future__ import annotations

from geometry_msgs.msg import PoseStamped
from rclpy.qos import qos_profile_sensor_data

from . import messages
from ..control.gripper_channel import CLOSED, OPEN

SOURCE = 'ee_pose'  # the input's name in the controller's refusals and stale lists


class EePoseInput:
    """Subscribes to the measured pose and hands it to the controller, in the base frame."""

    def __init__(self, node, controller, topic: str, base_frame: str, stamp, log_refusal):
        """stamp(header) -> s (unset: now); log_refusal(reason or None), throttled by the node."""
        self.controller = controller
        self.topic = topic
        self.base_frame = base_frame
        self.wrong_frame = 0  # poses refused for their frame
        self._stamp = stamp
        self._log_refusal = log_refusal
        node.create_subscription(PoseStamped, topic, self._on_pose, qos_profile_sensor_data)

    def _on_pose(self, msg: PoseStamped) -> None:
        frame = msg.header.frame_id
        if frame != self.base_frame:
            self.wrong_frame += 1
            reason = (
                f'{SOURCE} on {self.topic} is in frame {frame!r}, not the base frame '
                f'{self.base_frame!r}: refused (no TF lookup here; publish the pose in '
                f'{self.base_frame!r})'
            )
            self._log_refusal(self.controller.reject_input(SOURCE, reason))
            return
        pose = messages.pose_values(msg.pose)
        self._log_refusal(self.controller.on_ee_pose(self._stamp(msg.header), pose))


def ee_status_values(controller, pose_input: EePoseInput, gripper) -> dict:
    """
    Return the end-effector values of the node's /diagnostics status.

    tracking error: the last command against the latest measured pose (m, rad); the
    gripper's decided state and how often it changed; gripper None: not commanded.
    """
    measured = controller.history.latest_ee_pose()
    distance, angle = (
        controller.executor.tracking_error(measured) if measured is not None else (0.0, 0.0)
    )
    channel = controller.space.channel  # None: the bundle has no gripper
    if channel is None:
        gripper_state = 'none'
    else:
        gripper_state = {OPEN: 'open', CLOSED: 'closed'}.get(channel.state, 'unknown')
    return {
        'tracking_error_m': distance,
        'tracking_error_rad': angle,
        'not_following': controller.stats.not_following,
        'ee_pose_wrong_frame': pose_input.wrong_frame,
        'gripper_state': gripper_state,
        'gripper_changes': channel.changes if channel is not None else 0,
        'gripper_commands_sent': gripper.sent if gripper is not None else 0,
    }
