# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""DemoConfig: how the scripted expert's demonstrations are recorded (sim-demos)."""

from __future__ import annotations

from dataclasses import dataclass

from .grasp_task import TASKS
from .reach_task import TASK_NAME
from ..data.bag_writer import DISTROS, STORAGES
from ..settings import check_settings, setting

ACTION_SPACES = ('joint_position', 'ee_pose')


@dataclass(frozen=True)
class DemoConfig:
    """Rates, image size, bag layout, task and actions; the expert is sim.expert.ExpertSettings."""

    rate_hz: float = setting(
        10.0,
        'dataset rate (bags: the teleoperator command rate), Hz',
        min=0.1,
        max=1000.0,
        flag='--rate',
        metavar='HZ',
    )
    image_size: int = setting(96, 'square camera image size, px', min=8, max=4096, metavar='PX')
    hold_steps: int = setting(
        3, 'steps the expert holds still at the target before the episode ends', min=0
    )
    physics_dt: float = setting(0.01, 'simulator step, s', min=1e-4, max=0.1)
    storage: str = setting('mcap', 'bag storage (--format bag)', choices=tuple(STORAGES))
    distro: str = setting(
        'jazzy',
        'bag layout and message definitions (--format bag): jazzy = metadata v9, humble = '
        'metadata v8 that Humble reads',
        choices=tuple(DISTROS),
    )
    camera_rate_hz: float = setting(
        30.0,
        'camera frame rate (--format bag), Hz',
        min=0.1,
        max=1000.0,
        flag='--camera-rate',
        metavar='HZ',
    )
    joint_state_rate_hz: float = setting(
        100.0,
        'joint_states rate (--format bag; /ee_pose and /tf too), Hz',
        min=0.1,
        max=10000.0,
        flag='--joint-state-rate',
        metavar='HZ',
    )
    task: str = setting(
        'reach_around_obstacle',
        'reach_around_obstacle: reach the target; reach_and_grasp: reach it, then close the '
        'gripper on it',
        choices=TASKS,
    )
    action_space: str = setting(
        'joint_position',
        'joint_position: joint commands (reach_and_grasp adds the gripper finger); ee_pose: '
        'tool pose targets in base_link and the gripper (0 open .. 1 closed), states the '
        'measured tool pose and gripper',
        choices=ACTION_SPACES,
    )

    def __post_init__(self) -> None:
        check_settings(self)

    @property
    def with_gripper(self) -> bool:
        """Whether these demos have the gripper: sim/ee_demos.py and ee_bag_demos.py write them."""
        return self.task != TASK_NAME or self.action_space != 'joint_position'
