# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
metaworld_teleop_node (`/metaworld_teleop`): a Meta-World expert as a teleoperator.

`record_demos.launch.py robot:=metaworld` starts it beside metaworld_robot_node and `ros2
bag record`. It knows the scene only from the robot's topics, as a person at a teleop
device knows it from what they see: the joint states (the fingers, and the objects and goal
by name), the hand pose and `~/status` (the task, the scene, the outcome). At every robot
step (80 Hz: a joint state and a hand pose of one stamp; acting on a hand pose a step old
would aim every target a step short) it answers with what the task's expert does there: a
PoseStamped target on `target_topic`, stamped with the state it answers, and the finger on
`gripper_topic` (Float64MultiArray [r_close, m]), as sim-demos' bags hold them. `expert:
shipped` is Meta-World's own scripted policy; `expert: two_way` is push-wall-v3's expert
round either end of the wall (`side`: left, right, or a coin flip from `seed` and the scene).

It waits `start_delay` after first hearing the robot before the first command, so a recorder
started at the same time has subscribed to every topic by then (metaworld_robot counts an
episode's steps from its first command). When the robot reports the episode done it logs
the outcome and ends its process, which ends the recording (one bag per episode); a failed
demonstration is logged as an error (leave that bag out of the dataset).
"""

from __future__ import annotations

from dataclasses import dataclass
import json
import threading

from geometry_msgs.msg import PoseStamped
import numpy as np
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import JointState
from std_msgs.msg import Float64MultiArray, String

from . import messages
from .node_parameters import declare_settings
from ..settings import check_settings, setting
from ..sim import sim_topics
from ..sim.metaworld_demos import METAWORLD_GRIPPER
from ..sim.metaworld_env import BASE_FRAME
from ..sim.metaworld_experts import expert_for, SIDES
from ..sim.metaworld_observed import ObservedScene

EXPERTS = ('shipped', 'two_way')


@dataclass(frozen=True)
class MetaWorldTeleopConfig:
    """The parameters of /metaworld_teleop (see the module docstring)."""

    status_topic: str = setting('/metaworld_robot/status', "the robot's status (JSON)")
    joint_state_topic: str = setting(sim_topics.JOINT_STATE_TOPIC, 'sensor_msgs/JointState input')
    ee_pose_topic: str = setting(sim_topics.EE_POSE_TOPIC, 'geometry_msgs/PoseStamped input')
    target_topic: str = setting(
        sim_topics.TARGET_FRAME_TOPIC, 'geometry_msgs/PoseStamped output: the hand target'
    )
    gripper_topic: str = setting(
        sim_topics.GRIPPER_COMMAND_TOPIC, 'std_msgs/Float64MultiArray [r_close, m] output'
    )
    base_frame: str = setting(BASE_FRAME, 'frame of the pose targets')
    expert: str = setting(
        'shipped',
        "shipped: Meta-World's scripted policy; two_way: push-wall-v3 round either end",
        choices=EXPERTS,
    )
    side: str = setting(
        'random',
        'expert two_way: the end of the wall (random: a coin flip from seed and the scene)',
        choices=(*SIDES, 'random'),
    )
    seed: int = setting(0, 'seed of the coin flip for side:=random', min=0)
    start_delay: float = setting(2.0, 's between first hearing the robot and moving', min=0.0)

    def __post_init__(self) -> None:
        check_settings(self)


class MetaWorldTeleopNode(Node):
    """A Meta-World expert standing in for a teleoperator (see the module docstring)."""

    def __init__(self, **kwargs):
        super().__init__('metaworld_teleop', **kwargs)
        p = self.config = declare_settings(self, MetaWorldTeleopConfig)
        self.done = threading.Event()  # spin_nodes stops the process when set
        self.succeeded: bool | None = None
        self.expert = None
        self._status: dict | None = None
        self._heard_at: float | None = None
        self._hand: tuple | None = None  # (stamp ns, pose [7]) of the newest /ee_pose
        self._joints: JointState | None = None  # the newest /joint_states
        self._answered = -1  # stamp (ns) of the last state answered
        self._target_pub = self.create_publisher(PoseStamped, p.target_topic, 10)
        self._gripper_pub = self.create_publisher(Float64MultiArray, p.gripper_topic, 10)
        self.create_subscription(String, p.status_topic, self._on_status, 10)
        self.create_subscription(
            PoseStamped, p.ee_pose_topic, self._on_pose, qos_profile_sensor_data
        )
        self.create_subscription(
            JointState, p.joint_state_topic, self._on_joint_state, qos_profile_sensor_data
        )

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_status(self, msg: String) -> None:
        self._status = json.loads(msg.data)
        if self._heard_at is None:
            self._heard_at = self._now()
        if self.expert is not None and self._status.get('done') and not self.done.is_set():
            self._finish()

    def _on_pose(self, msg: PoseStamped) -> None:
        self._hand = (_ns(msg.header.stamp), messages.pose_values(msg.pose))
        self._answer()

    def _on_joint_state(self, msg: JointState) -> None:
        self._joints = msg
        self._answer()

    def _answer(self) -> None:
        """Command once per robot step, when its joint state and hand pose (one stamp) are in."""
        msg = self._joints
        if self.done.is_set() or self._status is None or self._hand is None or msg is None:
            return
        stamp = _ns(msg.header.stamp)
        if stamp != self._hand[0] or stamp == self._answered:
            return  # the other half of this step is still on its way, or it was answered
        if self.expert is None:
            if self._now() - self._heard_at < self.config.start_delay:
                return
            self._start()
        self._answered = stamp
        scene = ObservedScene(self._status['task'], msg.name, msg.position, self._hand[1])
        target, gripper = self.expert.act(scene)
        self._target_pub.publish(
            messages.pose_stamped(target, self.config.base_frame, msg.header.stamp)
        )
        finger = float(METAWORLD_GRIPPER.position(gripper))  # 0 open .. 1 shut, in metres
        self._gripper_pub.publish(messages.float64_array([finger]))

    def _start(self) -> None:
        status, p = self._status, self.config
        if status.get('done') or status.get('steps', 0) > 0:
            raise RuntimeError(
                f'metaworld_teleop: the robot is {status.get("steps")} steps into scene '
                f'{status.get("scene_seed")}: restart it (reset_on_done false) for a demonstration'
            )
        scene_seed = int(status['scene_seed'])
        self.expert = expert_for(status['task'], two_way=p.expert == 'two_way')
        if p.side != 'random' and p.expert == 'two_way':
            self.expert = type(self.expert)(p.side)
        self.expert.reset(np.random.default_rng([p.seed, scene_seed]))
        way = f', round the {self.expert.side} end' if self.expert.side else ''
        self.get_logger().info(
            f'{status["task"]} scene {scene_seed}: {self.expert.name} teleoperating{way}'
        )

    def _finish(self) -> None:
        status = self._status
        self.succeeded = bool(status.get('success'))
        how = f'{status["task"]} scene {status["scene_seed"]} after {status["steps"]} steps'
        if self.succeeded:
            self.get_logger().info(f'demonstration done: success, {how}')
        else:
            self.get_logger().error(
                f'demonstration failed: no success, {how}; leave this bag out of the dataset'
            )
        self.done.set()


def _ns(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def main(args=None) -> int:
    from .spin import spin_nodes

    return spin_nodes(lambda: [MetaWorldTeleopNode()], args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
