# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The built-in simulator: a 2-joint planar arm, a top-down camera, a bimodal reach task.

The arm is position-controlled with a velocity limit (what a ros2_control position
interface does); the task is to reach a target seen only in the image, around an
obstacle that can be passed on the left or on the right; a scripted expert picks a
side at random per episode, so the demonstrations have two equally good modes.

The same arm is also a Cartesian robot with a gripper: pose targets and twists in base_link
solved by IK (cartesian_arm), a speed-limited finger (gripper), and a second task,
reach_and_grasp, that needs the gripper closed on the target (grasp_task); ee_demos and
ee_bag_demos record end-effector demonstrations of either task.

numpy + OpenCV (and rosbags, to write demos as bags); no torch, no ROS. Physics time is
separate from the camera and control rates: callers `advance(dt)` and render frames when
their camera would.
"""

from .camera import CAMERA_NAME, render
from .cartesian_arm import CartesianArm, solve, tool_pose, TWIST_TIMEOUT_S
from .demo_config import DemoConfig
from .demo_summary import DemoSummary, summarize_bags, summarize_store
from .demos import draw_episodes, generate_demos, record_episode
from .ee_demos import EE_LAYOUT, generate_gripper_demos
from .expert import ExpertPlan, ExpertSettings, ScriptedExpert, tool_path
from .grasp_task import expert_for, GRASP_TASK_NAME, GraspExpert, TASKS
from .gripper import Gripper, GRIPPER_CLOSED, GRIPPER_JOINT, GRIPPER_OPEN, GRIPPER_SPEC
from .planar_arm import (
    ArmGeometry,
    forward_kinematics,
    inverse_kinematics,
    JOINT_NAMES,
    link_points,
    PlanarArm,
)
from .reach_env import ReachEnv, ReachStatus
from .reach_task import (
    count_side_switches,
    on_target,
    sample_scene,
    side_of,
    SIDES,
    TASK_NAME,
    TaskScene,
    tool_clearance,
    tool_collides,
)

__all__ = [
    'CAMERA_NAME',
    'render',
    'CartesianArm',
    'TWIST_TIMEOUT_S',
    'solve',
    'tool_pose',
    'EE_LAYOUT',
    'generate_gripper_demos',
    'GRASP_TASK_NAME',
    'GraspExpert',
    'TASKS',
    'expert_for',
    'GRIPPER_CLOSED',
    'GRIPPER_JOINT',
    'GRIPPER_OPEN',
    'GRIPPER_SPEC',
    'Gripper',
    'DemoConfig',
    'DemoSummary',
    'draw_episodes',
    'generate_demos',
    'record_episode',
    'summarize_bags',
    'summarize_store',
    'ExpertPlan',
    'ExpertSettings',
    'ScriptedExpert',
    'tool_path',
    'JOINT_NAMES',
    'ArmGeometry',
    'PlanarArm',
    'forward_kinematics',
    'inverse_kinematics',
    'link_points',
    'ReachEnv',
    'ReachStatus',
    'SIDES',
    'TASK_NAME',
    'TaskScene',
    'count_side_switches',
    'on_target',
    'sample_scene',
    'side_of',
    'tool_clearance',
    'tool_collides',
]
