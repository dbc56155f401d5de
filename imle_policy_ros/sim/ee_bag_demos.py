# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Bag demos of the arm with its gripper, as a Cartesian teleop session would record them.

`sim-demos --format bag` with `--action-space ee_pose` or `--task reach_and_grasp` records its
bags through `GripperCommandRecorder` in sim/bag_demos.py's loop (same layout, clock, epoch and
latency). Each bag holds what a robot with a Cartesian motion controller and a gripper
controller publishes, and what the operator sent it:

- the camera as in sim/bag_demos.py;
- at the joint-state rate: `/joint_states` (shoulder, elbow, gripper_finger), `/ee_pose`
  (geometry_msgs/PoseStamped, the measured tool pose in base_link) and `/tf` (TFMessage,
  base_link -> tool0, the same pose, as robot_state_publisher would give it);
- at the command rate, from the scripted expert standing in for the operator:
  `/gripper_controller/commands` (Float64MultiArray [finger position, m]; no header, so the
  log time dates it), and the arm command, which drives the simulated arm:
  - ee_pose: `/cartesian_motion_controller/target_frame` (PoseStamped in base_link, the tool
    one step ahead), tracked through inverse kinematics (sim/cartesian_arm.py), so the
    recorded target is the teleop command a real setup would have;
  - joint_position: `/joint_trajectory_controller/joint_trajectory` as in sim/bag_demos.py.

The poses carry the identity orientation: the planar arm has no wrist (sim/cartesian_arm.py).
"""

from __future__ import annotations

from .bag_demos import JointCommandRecorder, RECEIVE_LATENCY_NS
from .demo_config import DemoConfig
from .reach_env import ReachEnv
from .sim_topics import (
    BASE_FRAME,
    CAMERA_TOPIC,
    EE_FRAME,
    EE_POSE_TOPIC,
    GRIPPER_COMMAND_TOPIC,
    JOINT_STATE_TOPIC,
    TARGET_FRAME_TOPIC,
    TF_TOPIC,
    TRAJECTORY_TOPIC,
)
from ..data.bag_messages import (
    FLOAT64_ARRAY,
    float64_array_message,
    JOINT_STATE,
    joint_state_message,
    JOINT_TRAJECTORY,
    POSE_STAMPED,
    pose_stamped_message,
    TF_MESSAGE,
    tf_message,
)
from ..data.bag_writer import BagWriter, RELIABLE_QOS, SENSOR_DATA_QOS


def arm_command_topic(settings: DemoConfig) -> str:
    return TARGET_FRAME_TOPIC if settings.action_space == 'ee_pose' else TRAJECTORY_TOPIC


def gripper_topics(settings: DemoConfig) -> dict:
    """Return the topics of a gripper bag by role, as demos.json lists them."""
    return {
        'camera': CAMERA_TOPIC,
        'joint_states': JOINT_STATE_TOPIC,
        'ee_pose': EE_POSE_TOPIC,
        'tf': TF_TOPIC,
        'commands': arm_command_topic(settings),
        'gripper_commands': GRIPPER_COMMAND_TOPIC,
        'frames': {'base': BASE_FRAME, 'end_effector': EE_FRAME},
    }


class GripperCommandRecorder(JointCommandRecorder):
    """What a gripper bag records of the robot (module doc); the loop is sim/bag_demos.py's."""

    def __init__(self, env: ReachEnv, settings: DemoConfig):
        super().__init__(env, settings)
        self.cartesian = settings.action_space == 'ee_pose'
        self.arm_topic = arm_command_topic(settings)

    def add_topics(self, bag: BagWriter) -> None:
        bag.add_topic(JOINT_STATE_TOPIC, JOINT_STATE, SENSOR_DATA_QOS)
        bag.add_topic(EE_POSE_TOPIC, POSE_STAMPED, SENSOR_DATA_QOS)
        bag.add_topic(TF_TOPIC, TF_MESSAGE, RELIABLE_QOS)
        bag.add_topic(self.arm_topic, POSE_STAMPED if self.cartesian else JOINT_TRAJECTORY)
        bag.add_topic(GRIPPER_COMMAND_TOPIC, FLOAT64_ARRAY, RELIABLE_QOS)

    def before_physics(self, env: ReachEnv, now: float) -> None:
        # Pose targets are tracked by the env's Cartesian controller as they come; joint
        # commands go through the imitated JointTrajectoryController.
        if not self.cartesian:
            super().before_physics(env, now)

    def write_state(self, bag: BagWriter, env: ReachEnv, stamp: int, received: int) -> None:
        ts, pose = bag.typestore, env.ee_pose
        joints = joint_state_message(
            ts, env.all_joint_names, env.all_joint_positions, env.all_joint_velocities, stamp
        )
        bag.write(JOINT_STATE_TOPIC, joints, received)
        bag.write(EE_POSE_TOPIC, pose_stamped_message(ts, pose, BASE_FRAME, stamp), received)
        bag.write(TF_TOPIC, tf_message(ts, [(BASE_FRAME, EE_FRAME, pose)], stamp), received)

    def command(
        self, bag: BagWriter, env: ReachEnv, expert, t: float, dt: float, now: float, stamp: int
    ) -> None:
        if self.cartesian:
            target = expert.pose_action(t, dt)
            env.command_pose(target, BASE_FRAME)
            message = pose_stamped_message(bag.typestore, target, BASE_FRAME, stamp)
            bag.write(TARGET_FRAME_TOPIC, message, stamp + RECEIVE_LATENCY_NS)
        else:
            super().command(bag, env, expert, t, dt, now, stamp)
        finger = expert.gripper_action(t, dt)
        env.command_gripper(finger)
        message = float64_array_message(bag.typestore, [finger])
        bag.write(GRIPPER_COMMAND_TOPIC, message, stamp + RECEIVE_LATENCY_NS)
