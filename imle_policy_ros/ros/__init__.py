# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""rclpy wiring: thin nodes over `control/` (policy_node, realsense_node, sim_robot_node)."""
