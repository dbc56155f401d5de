# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sim_teleop_node (`/sim_teleop`): the scripted expert standing in for a human teleoperator.

`record_demos.launch.py robot:=sim` starts it beside sim_robot_node and `ros2 bag record`.
It learns the scene from the simulator's `~/status` (`scene_seed`), plans a path around
the obstacle on a side (left, right, or a coin flip from `seed`), and streams what a
teleop device would: one JointTrajectory point per command period, the plan one period
ahead. Once the plan is done and held for `hold_time` (and up to `settle_timeout` more
until the simulator reports success or a collision), it logs the outcome and sets
`done`; the process then exits, which ends the recording (one bag per episode).

With `action_space:=ee_pose` it teleoperates as through a Cartesian device instead, as
`sim-demos --action-space ee_pose` does offline (sim/ee_bag_demos.py): each period a
PoseStamped target on `target_topic` (the plan's tool pose one period ahead, in
`base_frame`) and the finger position on `gripper_topic` (Float64MultiArray). In the
simulator's reach_and_grasp task (its status says which) the expert closes the gripper once
the tool is on the target, and the demonstration lasts until the finger has closed.

It waits `start_delay` after first hearing the simulator before moving, so a recorder
started at the same time has discovered and subscribed to every topic by then.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import threading

from geometry_msgs.msg import PoseStamped
import numpy as np
from rclpy.node import Node
from std_msgs.msg import Float64MultiArray, String
from trajectory_msgs.msg import JointTrajectory

from . import messages
from .node_parameters import declare_settings
from ..settings import check_settings, setting
from ..sim import sim_topics
from ..sim.demo_config import ACTION_SPACES
from ..sim.expert import ScriptedExpert
from ..sim.grasp_task import expert_for
from ..sim.reach_env import ReachEnv
from ..sim.reach_task import SIDES, TASK_NAME


@dataclass(frozen=True)
class SimTeleopConfig:
    status_topic: str = setting(
        '/sim_robot/status', "the simulator's status (JSON with scene_seed)"
    )
    action_space: str = setting(
        'joint_position',
        'joint_position: JointTrajectory commands; ee_pose: pose targets and gripper commands',
        choices=ACTION_SPACES,
    )
    command_topic: str = setting(
        '/joint_trajectory_controller/joint_trajectory', 'JointTrajectory output (joint_position)'
    )
    target_topic: str = setting(
        sim_topics.TARGET_FRAME_TOPIC, 'geometry_msgs/PoseStamped output (ee_pose)'
    )
    gripper_topic: str = setting(
        sim_topics.GRIPPER_COMMAND_TOPIC,
        'std_msgs/Float64MultiArray [finger position, m] output (ee_pose)',
    )
    base_frame: str = setting(sim_topics.BASE_FRAME, 'frame of the pose targets (ee_pose)')
    command_rate_hz: float = setting(
        10.0, "commands per second (a teleop device's rate)", min=0.1, max=1000.0
    )
    side: str = setting(
        'random',
        'which way round: a coin flip from seed and the scene for random',
        choices=(*SIDES, 'random'),
    )
    seed: int = setting(0, 'seed of the coin flip for side:=random', min=0)
    start_delay: float = setting(2.0, 's between first hearing the simulator and moving', min=0.0)
    hold_time: float = setting(
        0.3, 's to keep commanding the final position after the plan ends', min=0.0
    )
    settle_timeout: float = setting(
        2.0, 's to hold longer while the simulator reports neither success nor collision', min=0.0
    )
    home_tolerance: float = setting(
        0.05, 'rad: the arm must be this close to home before the demo starts', min=0.0
    )

    def __post_init__(self) -> None:
        check_settings(self)


class SimTeleopNode(Node):
    """The scripted expert standing in for a human teleoperator (see the module docstring)."""

    def __init__(self, **kwargs):
        super().__init__('sim_teleop', **kwargs)
        p = self.config = declare_settings(self, SimTeleopConfig)
        self.period = 1.0 / p.command_rate_hz
        self.expert = ScriptedExpert()
        self.done = threading.Event()  # spin_nodes stops the process when set
        self._status: dict | None = None
        self._heard_at: float | None = None
        self._started_at: float | None = None
        self._plan_end = 0.0  # s after the start: the last command of the plan
        self.cartesian = p.action_space == 'ee_pose'
        if self.cartesian:
            self._target_pub = self.create_publisher(PoseStamped, p.target_topic, 10)
            self._gripper_pub = self.create_publisher(Float64MultiArray, p.gripper_topic, 10)
        else:
            self._command_pub = self.create_publisher(JointTrajectory, p.command_topic, 10)
        self.create_subscription(String, p.status_topic, self._on_status, 10)
        self.create_timer(self.period, self._on_tick)

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_status(self, msg: String) -> None:
        self._status = json.loads(msg.data)
        if self._heard_at is None:
            self._heard_at = self._now()

    def _on_tick(self) -> None:
        now = self._now()
        if self.done.is_set() or self._status is None:
            return
        if self._started_at is None:
            if now - self._heard_at >= self.config.start_delay:
                self._start(now)
            return
        t = now - self._started_at
        held = t - self._plan_end - self.config.hold_time
        # On a loaded machine the arm trails the plan a little: hold the final command until
        # the simulator reports the outcome, as a person would, rather than end on a stale status.
        status = self._status
        settled = status.get('success') or status.get('collision') or status.get('grasped_early')
        if held > 0 and (settled or held > self.config.settle_timeout):
            self._finish(t)
            return
        # The command sent at t is where the plan is one period later (as in sim-demos).
        if self.cartesian:
            target = self.expert.pose_action(t, self.period)
            stamp = self.get_clock().now().to_msg()
            self._target_pub.publish(messages.pose_stamped(target, self.config.base_frame, stamp))
            finger = self.expert.gripper_action(t, self.period)
            self._gripper_pub.publish(messages.float64_array([finger]))
            return
        positions = self.expert.action(t, self.period)
        self._command_pub.publish(
            messages.joint_trajectory(ReachEnv.joint_names, [self.period], [positions])
        )

    def _start(self, now: float) -> None:
        scene_seed = int(self._status['scene_seed'])
        env = ReachEnv()
        env.reset(seed=scene_seed)  # the same scene the simulator drew from this seed
        measured = np.asarray(self._status['joint_positions'])
        if np.max(np.abs(measured - env.scene.home_q)) > self.config.home_tolerance:
            raise RuntimeError(
                f'sim_teleop: the arm is at {measured.tolist()}, not at home '
                f'{np.round(env.scene.home_q, 4).tolist()}: '
                f'restart the simulator for a new episode'
            )
        side = self.config.side
        rng = (
            np.random.default_rng([int(self.config.seed), scene_seed])
            if side == 'random'
            else None
        )
        if self.cartesian:  # the grasp task's expert also closes the gripper
            self.expert = expert_for(self._status.get('task', TASK_NAME))
        plan = self.expert.reset(env.scene, rng, side=None if side == 'random' else side)
        self._plan_end = (
            self.expert.command_steps(self.period) * self.period
            if self.cartesian
            else plan.duration
        )
        self._started_at = now
        self.get_logger().info(
            f'scene {scene_seed}: going {plan.side} of the obstacle, {plan.duration:.1f} s'
        )

    def _finish(self, t: float) -> None:
        status = self._status
        outcome = (
            'success'
            if status.get('success')
            else 'collision'
            if status.get('collision')
            else 'grasped early'
            if status.get('grasped_early')
            else 'not at the target'
        )
        self.get_logger().info(
            f'demonstration done after {t:.1f} s: {outcome} ({status.get("side")})'
        )
        self.done.set()


def main(args=None) -> int:
    from .spin import spin_nodes

    return spin_nodes(lambda: [SimTeleopNode()], args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
