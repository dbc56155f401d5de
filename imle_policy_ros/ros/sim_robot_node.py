# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sim_robot_node (`/sim_robot`): the built-in simulator as a ROS 2 arm, gripper and camera.

Publishes joint_states (shoulder, elbow and, unless `gripper_joint_state` is off, the
gripper's finger), the measured tool pose (PoseStamped on `ee_pose_topic`, stamped as the
joint states) and the top-down camera's images, and takes commands the way a ros2_control
arm does: a JointTrajectoryController topic and a forward_position_controller topic
(sim.CommandFollower), and the way a Cartesian setup with a gripper does: PoseStamped
targets, MoveIt Servo twists, a gripper's forward command or trajectory
(ros/sim_end_effector.py). Physics follows the node's clock.
`task` picks reach_around_obstacle (the gripper stays open unless commanded, and does not
count) or reach_and_grasp (success needs the gripper closed on the target; closed off it,
the episode ends as grasped_early). When an episode ends (success, collision,
grasped_early or timeout) and `reset_on_done` is set, a new scene starts after
`reset_delay`: the arm is put back home, commands are ignored for `settle_time`, and the
policy's `~/reset` service (if named) is called so it does not continue the old plan.
`camera_enabled` / `joint_states_enabled` switch the outputs off at run time, as an
unplugged camera or a stopped driver would (fault tests, demos). A second camera, the same
view as JPEG CompressedImage, is published on `compressed_camera_topic` when that is set.
`image_fault`, `joint_state_fault` and `stamp_fault` break the outputs the ways
ros/input_faults.py lists, while they are set (fault tests and `imle-policy-ros soak`);
`ee_pose_enabled`, `ee_pose_fault` and `arm_frozen` the end-effector side's
(ros/sim_end_effector.py).
`~/status` is JSON at 10 Hz: the episode and its `outcome` (running, success, collision,
grasped_early, timeout; each also a flag of its own), the joints, the gripper, and the
counts of refused (and, while arm_frozen, ignored) commands and of Cartesian targets
clamped into reach.
"""

from __future__ import annotations

import array
from dataclasses import dataclass
import json

from rcl_interfaces.msg import SetParametersResult
from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float64MultiArray, String
from std_srvs.srv import Trigger
from trajectory_msgs.msg import JointTrajectory

from . import input_faults, messages
from .node_parameters import declare_settings, with_parameters
from .sim_end_effector import (
    EndEffectorFaults,
    EndEffectorInputs,
    follow_trajectory,
    GRIPPER_TRAJECTORY_TOPIC,
    SERVO_TWIST_TOPIC,
    ToolPoseOutputs,
)
from ..cameras.image_codec import encode_compressed
from ..settings import check_settings, nested, setting
from ..sim import sim_topics
from ..sim.command_follower import CommandFollower, CommandRefused
from ..sim.grasp_task import TASKS
from ..sim.gripper import GRIPPER_JOINT
from ..sim.reach_env import ReachEnv
from ..sim.reach_task import TASK_NAME, TIME_LIMIT_S


@dataclass(frozen=True)
class SimRobotConfig:
    """The parameters of /sim_robot; the live ones are the switches of demos and fault tests."""

    seed: int = setting(0, 'seed of the first scene; each new episode takes the next one', min=0)
    task: str = setting(
        TASK_NAME,
        'reach_around_obstacle, or reach_and_grasp: success needs the gripper closed on the '
        'target',
        choices=TASKS,
    )
    image_size: int = setting(64, 'camera frames are image_size x image_size RGB', min=8, max=4096)
    camera_rate_hz: float = setting(30.0, 'camera frame rate', min=0.1, max=1000.0)
    joint_state_rate_hz: float = setting(
        100.0,
        'joint_states rate; physics advances at each (in steps of 10 ms at most)',
        min=0.1,
        max=10000.0,
    )
    camera_topic: str = setting(sim_topics.CAMERA_TOPIC, 'sensor_msgs/Image output')
    camera_frame_id: str = setting(sim_topics.CAMERA_FRAME_ID, 'frame id of the images')
    joint_state_topic: str = setting(sim_topics.JOINT_STATE_TOPIC, 'sensor_msgs/JointState output')
    gripper_joint_state: bool = setting(
        True,
        f"list the gripper's {GRIPPER_JOINT} in joint_states (false: the arm's joints only, for "
        'a joint-space recording that never commands the gripper: dataset wants a command for '
        'every joint listed)',
    )
    trajectory_topic: str = setting(sim_topics.TRAJECTORY_TOPIC, 'JointTrajectory input')
    position_command_topic: str = setting(
        sim_topics.POSITION_COMMAND_TOPIC, 'Float64MultiArray input'
    )
    base_frame: str = setting(
        sim_topics.BASE_FRAME,
        'frame of the tool poses published and of the pose and twist commands taken (others '
        'are refused: no TF here)',
    )
    ee_pose_topic: str = setting(
        sim_topics.EE_POSE_TOPIC, 'geometry_msgs/PoseStamped output: the measured tool pose'
    )
    target_pose_topic: str = setting(
        sim_topics.TARGET_FRAME_TOPIC,
        'geometry_msgs/PoseStamped input: a tool target (a Cartesian motion controller)',
    )
    twist_topic: str = setting(
        SERVO_TWIST_TOPIC,
        'geometry_msgs/TwistStamped input: a tool velocity, stopped 0.1 s after the last one '
        '(MoveIt Servo)',
    )
    gripper_command_topic: str = setting(
        sim_topics.GRIPPER_COMMAND_TOPIC,
        'std_msgs/Float64MultiArray input: [finger position, m] (a forward_command_controller)',
    )
    gripper_trajectory_topic: str = setting(
        GRIPPER_TRAJECTORY_TOPIC,
        f'trajectory_msgs/JointTrajectory input of the {GRIPPER_JOINT} joint',
    )
    time_limit: float = setting(
        TIME_LIMIT_S,
        's after which an episode ends as a timeout (0: never, as when recording a demonstration)',
        min=0.0,
    )
    reset_on_done: bool = setting(True, 'start a new scene when an episode ends', live=True)
    reset_delay: float = setting(
        2.0, 's between the end of an episode and the next scene', min=0.0, live=True
    )
    settle_time: float = setting(
        0.3, 's after a reset during which commands are ignored', min=0.0, live=True
    )
    policy_reset_service: str = setting(
        '', 'Trigger service called after each reset (e.g. /imle_policy/reset)'
    )
    camera_enabled: bool = setting(
        True, 'publish camera frames (false: as if unplugged)', live=True
    )
    joint_states_enabled: bool = setting(
        True, 'publish joint states (false: as if the driver stopped)', live=True
    )
    compressed_camera_topic: str = setting(
        '',
        'also publish each frame as a JPEG sensor_msgs/CompressedImage here (a second camera; '
        'empty: not)',
    )
    compressed_camera_enabled: bool = setting(
        True, 'publish the compressed camera (false: as if unplugged)', live=True
    )
    image_fault: str = setting(
        'none', 'break the images', choices=input_faults.IMAGE_FAULTS, live=True
    )
    joint_state_fault: str = setting(
        'none', 'break the joint states', choices=input_faults.JOINT_STATE_FAULTS, live=True
    )
    stamp_fault: str = setting(
        'none', "break the frames' stamps", choices=input_faults.STAMP_FAULTS, live=True
    )
    stamp_fault_delay: float = setting(
        1.0,
        's by which stamp_fault late stamps frames before they were taken',
        min=0.0,
        live=True,
    )
    ee_faults: EndEffectorFaults = nested(EndEffectorFaults)

    def __post_init__(self) -> None:
        check_settings(self)


class SimRobotNode(Node):
    """The built-in simulator as a ROS 2 arm with a camera (see the module docstring)."""

    def __init__(self, **kwargs):
        super().__init__('sim_robot', **kwargs)
        p = self.config = declare_settings(self, SimRobotConfig)
        self.seed = p.seed
        time_limit = p.time_limit if p.time_limit > 0 else float('inf')
        self.env = ReachEnv(
            seed=self.seed, image_size=p.image_size, time_limit=time_limit, task=p.task
        )
        self.env.reset(seed=self.seed)
        self.episode = 0
        self.follower = CommandFollower(self.env.joint_names, self.env.joint_positions)
        self._last_physics = self._now()
        self._ignore_commands_until = 0.0
        self._done_since: float | None = None
        self.rejected_commands = 0
        self._clamped_before = 0  # Cartesian targets clamped in the episodes before this one

        self._image_pub = self.create_publisher(Image, p.camera_topic, qos_profile_sensor_data)
        self._compressed_pub = (
            self.create_publisher(
                CompressedImage, p.compressed_camera_topic, qos_profile_sensor_data
            )
            if p.compressed_camera_topic
            else None
        )
        self._stamper = input_faults.FrameStamper()
        self._joint_pub = self.create_publisher(
            JointState, p.joint_state_topic, qos_profile_sensor_data
        )
        self._tool_outputs = ToolPoseOutputs(self, p)
        self._status_pub = self.create_publisher(String, '~/status', 10)
        self.create_subscription(JointTrajectory, p.trajectory_topic, self._on_trajectory, 10)
        self.create_subscription(
            Float64MultiArray, p.position_command_topic, self._on_positions, 10
        )
        self.ee = EndEffectorInputs(
            self, self.env, p, self._now, self._accepting, lambda: self.config.ee_faults
        )
        self.create_service(Trigger, '~/reset', self._on_reset_service)
        self._policy_reset = (
            self.create_client(Trigger, p.policy_reset_service) if p.policy_reset_service else None
        )
        self.create_timer(1.0 / p.joint_state_rate_hz, self._on_state_tick)
        self.create_timer(
            1.0 / p.camera_rate_hz,
            self._publish_image,
            callback_group=MutuallyExclusiveCallbackGroup(),
        )
        self.create_timer(0.1, self._publish_status)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.get_logger().info(
            f'simulated arm {list(self.env.all_joint_names)}, task {p.task}; camera on '
            f'{p.camera_topic}; tool pose on {p.ee_pose_topic}'
            + (' and /tf' if self._tool_outputs.publishes_tf else ' (no tf2_msgs: no /tf)')
        )

    def _now(self) -> float:
        return self.get_clock().now().nanoseconds * 1e-9

    def _on_set_parameters(self, params) -> SetParametersResult:
        self.config, result = with_parameters(self.config, params)
        return result

    # ---- commands -----------------------------------------------------------------------
    def _accepting(self, now: float) -> bool:
        return now >= self._ignore_commands_until

    def _on_trajectory(self, msg: JointTrajectory) -> None:
        now = self._now()
        if self._accepting(now):
            self._apply(lambda: follow_trajectory(self.follower, now, msg, 'joint trajectory'))

    def _on_positions(self, msg: Float64MultiArray) -> None:
        now = self._now()
        if self._accepting(now):
            self._apply(lambda: self.follower.follow_positions(now, list(msg.data)))

    def _apply(self, command) -> None:
        if self.ee.active:
            # Back from Cartesian commands: a new trajectory starts from where the arm is.
            self.follower.hold(self.env.joint_positions, self._now())
        try:
            command()
        except CommandRefused as exc:
            self.rejected_commands += 1
            self.get_logger().warning(f'command refused: {exc}', throttle_duration_sec=2.0)
            return
        self.ee.active = False

    # ---- physics and episodes -----------------------------------------------------------
    def _on_state_tick(self) -> None:
        self._advance_physics()
        self._publish_joint_state()

    def _advance_physics(self) -> None:
        now = self._now()
        elapsed = min(
            max(now - self._last_physics, 0.0), 0.1
        )  # a stalled process does not teleport
        self._last_physics = now
        if not self.ee.active:  # Cartesian commands are the simulator's to follow
            self.env.command(self.follower.target(now))
        self.env.command_gripper(self.ee.gripper_target(now))
        self.env.advance(elapsed)
        status = self.env.status()
        if not status.done:
            return
        if self._done_since is None:
            self._done_since = now
            self.get_logger().info(
                f'episode {self.episode}: {status.outcome}'
                + (f' ({status.side})' if status.side else '')
                + f' after {status.time:.1f} s'
            )
        if self.config.reset_on_done and now - self._done_since >= self.config.reset_delay:
            self.new_episode()

    def new_episode(self) -> None:
        now = self._now()
        self.episode += 1
        self._clamped_before += self.env.clamped_targets
        self.env.reset(seed=self.seed + self.episode)
        self.follower.hold(self.env.joint_positions, now)
        self.ee.reset(now)
        self._ignore_commands_until = now + self.config.settle_time
        self._done_since = None
        if self._policy_reset is not None and self._policy_reset.service_is_ready():
            self._policy_reset.call_async(Trigger.Request())

    def _on_reset_service(self, request, response):
        self.new_episode()
        response.success = True
        response.message = f'episode {self.episode} (seed {self.seed + self.episode})'
        return response

    # ---- outputs ------------------------------------------------------------------------
    def _publish_joint_state(self) -> None:
        """Publish the joint states and the tool pose, one stamp for both (one driver)."""
        if not self.config.joint_states_enabled:
            return
        env, stamp = self.env, self.get_clock().now().to_msg()
        msg = messages.joint_state(
            env.joint_names, env.joint_positions, env.joint_velocities, stamp
        )
        # The faults break the arm's joints as they did before the gripper: its joint is
        # appended after, so a missing joint is still one the arm's policy needs.
        msg = input_faults.break_joint_state(msg, self.config.joint_state_fault)
        if self.config.gripper_joint_state:
            msg.name = list(msg.name) + [GRIPPER_JOINT]
            msg.position.append(env.gripper_position)
            msg.velocity.append(env.all_joint_velocities[-1])
        self._joint_pub.publish(msg)
        self._tool_outputs.publish(env.ee_pose, stamp, self.config.ee_faults)

    def _publish_image(self) -> None:
        raw_on = self.config.camera_enabled
        compressed_on = self._compressed_pub is not None and self.config.compressed_camera_enabled
        if not (raw_on or compressed_on):
            return
        frame = self.env.camera_frame()
        taken = self._now()  # the moment the scene is rendered
        stamp = messages.seconds_to_stamp(
            self._stamper.stamp(taken, self.config.stamp_fault, self.config.stamp_fault_delay)
        )
        fault = self.config.image_fault
        if raw_on:
            msg = messages.rgb_to_image(frame, stamp, self.config.camera_frame_id)
            self._image_pub.publish(input_faults.break_image(msg, fault))
        if compressed_on:
            fmt, data = encode_compressed(frame)
            msg = CompressedImage(format=fmt, data=array.array('B', data))
            msg.header.stamp = stamp
            msg.header.frame_id = self.config.camera_frame_id
            self._compressed_pub.publish(input_faults.break_compressed(msg, fault))

    def _publish_status(self) -> None:
        status = self.env.status()
        self._status_pub.publish(
            String(
                data=json.dumps(
                    {
                        'episode': self.episode,
                        'scene_seed': self.seed + self.episode,
                        'task': self.config.task,
                        'outcome': status.outcome,
                        'success': status.success,
                        'collision': status.collision,
                        'grasped_early': status.grasped_early,
                        'timeout': status.timeout,
                        'side': status.side,
                        'switches': status.switches,
                        'time': round(status.time, 3),
                        'distance_to_target': round(status.distance_to_target, 4),
                        'joint_positions': [round(float(q), 4) for q in self.env.joint_positions],
                        'gripper_position': round(self.env.gripper_position, 5),
                        'tool_position': [round(float(v), 4) for v in self.env.tool_position],
                        'cartesian_control': self.ee.active,
                        'rejected_commands': self.rejected_commands,
                        'refused_cartesian_commands': self.ee.refused_cartesian,
                        'ignored_cartesian_commands': self.ee.ignored_cartesian,
                        'refused_gripper_commands': self.ee.refused_gripper,
                        'clamped_targets': self._clamped_before + self.env.clamped_targets,
                    }
                )
            )
        )


def main(args=None) -> int:
    from .spin import spin_nodes

    return spin_nodes(lambda: [SimRobotNode()], args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
