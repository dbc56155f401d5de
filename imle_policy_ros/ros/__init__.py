# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
rclpy wiring: thin nodes over `control/`, the launch plan, and `run`.

The nodes (policy_node, camera_node / realsense_node, sim_robot_node, sim_teleop_node,
metaworld_robot_node, metaworld_teleop_node) only wire messages to the ROS-free layers
below; `harness/` drives and judges them from outside (the end-to-end and fault tests,
`imle-policy-ros soak`). This package itself
imports without rclpy, so the command line can say what is missing.
"""

from ..errors import Refusal

RCLPY_MISSING = (
    'rclpy is not importable. Source your ROS 2 install (source /opt/ros/<distro>/setup.bash), '
    "or without ROS pip install 'imle_policy_ros[ros]' (pip wheels of ROS 2 Jazzy; Python "
    '3.11, x86_64).'
)


def require_rclpy() -> None:
    """Raise a Refusal that says how to get rclpy, unless it imports."""
    try:
        import rclpy  # noqa: F401
    except ImportError:
        raise Refusal(RCLPY_MISSING) from None
