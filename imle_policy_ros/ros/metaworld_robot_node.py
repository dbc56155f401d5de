# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
metaworld_robot_node (`/metaworld_robot`): a Meta-World task as a ROS 2 arm with a gripper.

The Sawyer hand of sim/metaworld_env.py behind the topics a Cartesian setup has, so that
policy_node drives it exactly as it drives a real arm with `command_interface: pose`:

    in   target_pose_topic      geometry_msgs/PoseStamped, a target the hand is P-controlled
                                toward (as a CartesianMotionController's target_frame)
         twist_topic            geometry_msgs/TwistStamped, a hand velocity while twists keep
                                coming (as MoveIt Servo's; the hand holds 0.1 s after the last)
         gripper_command_topic  std_msgs/Float64MultiArray [r_close position, m]: 0 open ..
                                0.04 shut, as a forward_command_controller of the finger takes
    out  joint_state_topic      the arm's 7 joints and 2 fingers; with object_state, also the
                                task's objects and goal by name (object_state_0.., goal_0..),
                                as an object tracker would publish them for a state policy
         ee_pose_topic          the measured hand pose (PoseStamped in base_frame)
         <camera_topic_prefix>/<camera>/image_raw   each of `cameras`, image_size square
         ~/status               JSON: episode, scene seed, success, steps, whether it waits
                                for a first command, the way round the wall on push-wall,
                                what was refused
         ~/reset (Trigger)      the next scene now

The env steps in real time at its own 80 Hz (one 12.5 ms step per tick; a tick that comes
late does not make up the steps it missed), from the first command of an episode on
(`wait_for_command`: a policy still loading or a teleoperator still waiting for its recorder
costs the episode none of its 500 steps). An episode ends at Meta-World's success or
after 500 steps; reset_delay later the next scene (seed + episode) starts, commands are
ignored for settle_time and `policy_reset_service` is called. A pose or twist in another
frame than base_frame, a non-finite value or a gripper command of the wrong size is refused,
counted and logged, and nothing moves toward it.
"""

from __future__ import annotations

from dataclasses import dataclass
import json

from geometry_msgs.msg import PoseStamped, TwistStamped
from rcl_interfaces.msg import SetParametersResult
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger

from . import messages
from .node_parameters import declare_settings, with_parameters
from .sim_end_effector import SERVO_TWIST_TOPIC
from ..settings import check_settings, setting
from ..sim.metaworld_bags import camera_topic, CAMERA_TOPIC_PREFIX
from ..sim.metaworld_demos import METAWORLD_GRIPPER, metaworld_live_state
from ..sim.metaworld_env import BASE_FRAME, CAMERAS, METAWORLD_RATE_HZ, MetaWorldEnv
from ..sim.metaworld_experts import way_round_wall
from ..sim.scene_seeds import EVAL_FIRST_SEED
from ..sim.sim_topics import (
    EE_POSE_TOPIC,
    GRIPPER_COMMAND_TOPIC,
    JOINT_STATE_TOPIC,
    TARGET_FRAME_TOPIC,
)


def _cameras_problem(value) -> str | None:
    unknown = [c for c in value if c not in CAMERAS]
    return f'unknown camera(s) {unknown}: pick from {", ".join(CAMERAS)}' if unknown else None


@dataclass(frozen=True)
class MetaWorldRobotConfig:
    """The parameters of /metaworld_robot (see the module docstring)."""

    task: str = setting('button-press-topdown-v3', 'the Meta-World task (push-v3, or push)')
    seed: int = setting(
        EVAL_FIRST_SEED,
        'env seed of the first scene, episode k uses seed + k (100000 up: the evaluation '
        'scenes; demo scenes are seed * 10000 + i for small seeds)',
        min=0,
    )
    cameras: tuple[str, ...] = setting(
        ('corner3',), 'the cameras published (see camera_enabled)', check=_cameras_problem
    )
    camera_enabled: bool = setting(
        True, 'render and publish the cameras (false for a state policy: rendering costs)'
    )
    image_size: int = setting(96, 'px, each camera square', min=8, max=1024)
    camera_rate_hz: float = setting(20.0, 'frames per second per camera', min=0.1, max=80.0)
    camera_topic_prefix: str = setting(
        CAMERA_TOPIC_PREFIX, 'camera i on <prefix>/<camera>/image_raw'
    )
    joint_state_topic: str = setting(JOINT_STATE_TOPIC, 'sensor_msgs/JointState output')
    object_state: bool = setting(
        True, 'also list the objects and goal by name in joint_states (for state policies)'
    )
    base_frame: str = setting(
        BASE_FRAME, 'the frame of the hand poses published and the commands taken'
    )
    ee_pose_topic: str = setting(EE_POSE_TOPIC, 'geometry_msgs/PoseStamped: the hand pose')
    target_pose_topic: str = setting(TARGET_FRAME_TOPIC, 'geometry_msgs/PoseStamped input')
    twist_topic: str = setting(SERVO_TWIST_TOPIC, 'geometry_msgs/TwistStamped input')
    gripper_command_topic: str = setting(
        GRIPPER_COMMAND_TOPIC, 'std_msgs/Float64MultiArray [r_close, m] input'
    )
    wait_for_command: bool = setting(
        True, "an episode's steps start at its first accepted command (false: at once)"
    )
    reset_on_done: bool = setting(True, 'start the next scene after an episode', live=True)
    reset_delay: float = setting(1.0, 's from the end of an episode to the next', min=0.0)
    settle_time: float = setting(0.2, 's after a reset during which commands are ignored', min=0.0)
    policy_reset_service: str = setting(
        '', 'Trigger service called after each reset (e.g. /imle_policy/reset)'
    )

    def __post_init__(self) -> None:
        check_settings(self)


class MetaWorldRobotNode(Node):
    """A Meta-World task as a ROS 2 arm with a gripper (see the module docstring)."""

    def __init__(self, **kwargs):
        super().__init__('metaworld_robot', **kwargs)
        p = self.config = declare_settings(self, MetaWorldRobotConfig)
        self.env = MetaWorldEnv(p.task, p.seed)
        self.episode, self.way = 0, None
        self.refused = {'pose': 0, 'twist': 0, 'gripper': 0}
        self._ignore_until = 0.0
        self._done_since: float | None = None
        self._commanded = False  # this episode has had a command (wait_for_command)
        self._joint_pub = self.create_publisher(
            JointState, p.joint_state_topic, qos_profile_sensor_data
        )
        self._pose_pub = self.create_publisher(
            PoseStamped, p.ee_pose_topic, qos_profile_sensor_data
        )
        self._image_pubs = {
            c: self.create_publisher(
                Image, camera_topic(c, p.camera_topic_prefix), qos_profile_sensor_data
            )
            for c in (p.cameras if p.camera_enabled else ())
        }
        self._status_pub = self.create_publisher(String, '~/status', 10)
        self.create_subscription(PoseStamped, p.target_pose_topic, self._on_pose, 10)
        self.create_subscription(TwistStamped, p.twist_topic, self._on_twist, 10)
        self.create_subscription(Float64MultiArray, p.gripper_command_topic, self._on_gripper, 10)
        self.create_service(Trigger, '~/reset', self._on_reset_service)
        self._policy_reset = (
            self.create_client(Trigger, p.policy_reset_service) if p.policy_reset_service else None
        )
        # Every callback in the node's one mutually exclusive group: rendering and stepping
        # never touch MuJoCo's data at once.
        self.create_timer(1.0 / METAWORLD_RATE_HZ, self._on_step)
        if self._image_pubs:
            self.create_timer(1.0 / p.camera_rate_hz, self._publish_images)
        self.create_timer(0.1, self._publish_status)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(
            f'Meta-World {self.env.task} (scene seed {p.seed}); hand on {p.ee_pose_topic}, '
            f'targets on {p.target_pose_topic}, gripper on {p.gripper_command_topic}; cameras '
            + (', '.join(self._image_pubs) or 'off')
        )

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_set_parameters(self, params) -> SetParametersResult:
        self.config, result = with_parameters(self.config, params)
        return result

    # ---- commands -----------------------------------------------------------------------
    def _accepting(self) -> bool:
        return self._done_since is None and self._now() >= self._ignore_until

    def _on_pose(self, msg: PoseStamped) -> None:
        pose = messages.pose_values(msg.pose)
        self._cartesian('pose', msg.header.frame_id, lambda: self.env.command_pose(pose))

    def _on_twist(self, msg: TwistStamped) -> None:
        t = msg.twist.linear  # the hand cannot turn: an angular part has nothing to move
        self._cartesian(
            'twist', msg.header.frame_id, lambda: self.env.command_twist([t.x, t.y, t.z])
        )

    def _on_gripper(self, msg: Float64MultiArray) -> None:
        values = list(msg.data)

        def apply():
            if len(values) != 1:
                raise ValueError(f'a gripper command holds one value (r_close, m), got {values}')
            self.env.command_gripper(float(METAWORLD_GRIPPER.normalize(values[0])))

        self._command('gripper', apply)

    def _cartesian(self, kind: str, frame_id: str, apply) -> None:
        def in_base_frame():
            if frame_id != self.config.base_frame:
                raise ValueError(
                    f'{kind} in frame {frame_id!r}: this arm takes '
                    f'{self.config.base_frame!r} only (no TF here)'
                )
            apply()

        self._command(kind, in_base_frame)

    def _command(self, kind: str, apply) -> None:
        """Apply a command unless commands are ignored now; refuse one with bad values."""
        if not self._accepting():
            return
        try:
            apply()
        except ValueError as exc:  # another frame, non-finite values, a wrong count
            self._refuse(kind, str(exc))
            return
        self._commanded = True

    def _refuse(self, kind: str, reason: str) -> None:
        self.refused[kind] += 1
        self.get_logger().warning(f'{kind} command refused: {reason}', throttle_duration_sec=2.0)

    # ---- physics and episodes -----------------------------------------------------------
    def _on_step(self) -> None:
        if self.config.wait_for_command and not self._commanded:
            pass  # the scene waits for its driver
        elif not self.env.done:
            self.env.step()
            self.way = self.way or way_round_wall(self.env)
            if self.env.done:
                self._done_since = self._now()
                outcome = 'success' if self.env.success else 'timeout'
                self.get_logger().info(
                    f'episode {self.episode}: {outcome} after {self.env.steps} steps'
                    + (f' (round the {self.way} end)' if self.way else '')
                )
        elif (
            self.config.reset_on_done and self._now() - self._done_since >= self.config.reset_delay
        ):
            self.new_episode()
        self._publish_state()

    def new_episode(self) -> None:
        self.episode += 1
        self.env.reset(self.config.seed + self.episode)
        self.way, self._done_since, self._commanded = None, None, False
        self._ignore_until = self._now() + self.config.settle_time
        if self._policy_reset is not None and self._policy_reset.service_is_ready():
            self._policy_reset.call_async(Trigger.Request())

    def _on_reset_service(self, request, response):
        self.new_episode()
        response.success = True
        response.message = f'episode {self.episode} (scene seed {self.config.seed + self.episode})'
        return response

    # ---- outputs ------------------------------------------------------------------------
    def _publish_state(self) -> None:
        """Publish the joint states and the hand pose, one stamp for both (one driver)."""
        stamp = self.get_clock().now().to_msg()
        env = self.env
        if self.config.object_state:
            names, positions = metaworld_live_state(env)
        else:
            names, positions = env.joint_names, env.joint_positions
        self._joint_pub.publish(messages.joint_state(names, positions, None, stamp))
        self._pose_pub.publish(messages.pose_stamped(env.ee_pose, self.config.base_frame, stamp))

    def _publish_images(self) -> None:
        stamp = self.get_clock().now().to_msg()  # the moment the scene is rendered
        size = self.config.image_size
        for camera, publisher in self._image_pubs.items():
            frame = self.env.image(camera, size)
            publisher.publish(messages.rgb_to_image(frame, stamp, camera))

    def _publish_status(self) -> None:
        env = self.env
        status = {
            'episode': self.episode,
            'scene_seed': self.config.seed + self.episode,
            'task': env.task,
            'done': env.done,
            'success': env.success,
            'steps': env.steps,
            'waiting_for_command': self.config.wait_for_command and not self._commanded,
            'way': self.way,
            'hand_position': [round(float(v), 4) for v in env.hand_position],
            'refused_commands': dict(self.refused),
        }
        self._status_pub.publish(String(data=json.dumps(status)))

    def destroy_node(self):
        self.env.close()  # the renderers' EGL contexts
        return super().destroy_node()


def main(args=None) -> int:
    from .spin import spin_nodes

    return spin_nodes(lambda: [MetaWorldRobotNode()], args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
