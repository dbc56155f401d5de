# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The built-in simulator: a 2-joint planar arm, a top-down camera, a bimodal reach task.

The arm is position-controlled with a velocity limit (what a ros2_control position
interface does); the task is to reach a target seen only in the image, around an
obstacle that can be passed on the left or on the right; a scripted expert picks a
side at random per episode, so the demonstrations have two equally good modes.

numpy + OpenCV (and rosbags, to write demos as bags); no torch, no ROS. Physics time is
separate from the camera and control rates: callers `advance(dt)` and render frames when
their camera would.
"""

from .camera import CAMERA_NAME, render
from .demo_config import DemoConfig
from .demo_summary import DemoSummary, summarize_bags, summarize_store
from .demos import draw_episodes, generate_demos, record_episode
from .expert import ExpertPlan, ExpertSettings, ScriptedExpert, tool_path
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
