# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated arm's ROS names, in one place.

They are sim_robot_node's defaults (config/sim.yaml) and the names in the bags
`sim-demos --format bag` writes, so that recorded and synthetic demos match.
"""

CAMERA_TOPIC = '/camera/top/image_raw'
CAMERA_FRAME_ID = 'camera_top_optical_frame'
JOINT_STATE_TOPIC = '/joint_states'
TRAJECTORY_TOPIC = '/joint_trajectory_controller/joint_trajectory'
POSITION_COMMAND_TOPIC = '/forward_position_controller/commands'

# The end-effector side (sim-demos --action-space ee_pose, or --task reach_and_grasp): the
# frames and topics of a Cartesian motion controller setup with a gripper controller.
BASE_FRAME = 'base_link'
EE_FRAME = 'tool0'
EE_POSE_TOPIC = '/ee_pose'
TF_TOPIC = '/tf'
TARGET_FRAME_TOPIC = '/cartesian_motion_controller/target_frame'
GRIPPER_COMMAND_TOPIC = '/gripper_controller/commands'
