# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Closed-loop control core: no ROS, no torch; the clock is injected.

PolicyController turns time-stamped camera frames and joint states into one command per
control tick, running inference in the background and executing time-indexed chunks.
"""
