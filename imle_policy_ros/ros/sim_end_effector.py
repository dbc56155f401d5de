# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated robot's end-effector side: Cartesian and gripper commands in, the tool pose out.

What a Cartesian setup with a gripper controller offers on a real arm, wired to the
simulator's end-effector interface (sim/cartesian_arm.py, sim/gripper.py):

    target_pose_topic         geometry_msgs/PoseStamped: a target the tool is moved to, as
                              cartesian_controllers' CartesianMotionController `target_frame`
    twist_topic               geometry_msgs/TwistStamped: a tool velocity while twists keep
                              coming, as MoveIt Servo's `delta_twist_cmds` (the simulator
                              stops the arm 0.1 s after the last one)
    gripper_command_topic     std_msgs/Float64MultiArray [finger position, m], as a
                              forward_command_controller of the gripper joint takes
    gripper_trajectory_topic  trajectory_msgs/JointTrajectory of the gripper joint, as a
                              JointTrajectoryController of the gripper takes

A pose or twist in any frame but `base_frame` is refused and counted, and nothing moves
toward it: there is no TF tree here to transform it, and cartesian_controllers drop such
targets too. Non-finite values are refused and counted, as is a gripper command for other
joints. The last kind of arm command wins: a Cartesian command takes the arm from its joint
controllers (`active`), a joint command gives it back (sim_robot_node).

Out: the measured tool pose as PoseStamped in `base_frame` on `ee_pose_topic` and, where
tf2_msgs is installed (it has no pip wheel), the same pose as the transform base_frame ->
tool0 on /tf, as robot_state_publisher would give it.

Fault switches (`EndEffectorFaults`, live parameters of /sim_robot; the fault tests and
`imle-policy-ros soak` set them):

    ee_pose_enabled   false: the tool pose is not published (its broadcaster stopped)
    ee_pose_fault     nan: the pose's x is NaN; wrong_frame: the pose (and /tf) names the
                      frame WRONG_FRAME instead of base_frame, as a driver configured for
                      another frame does
    arm_frozen        true: the arm takes no Cartesian target or twist and stands where it
                      is, still reporting its pose: an arm that does not follow (brakes on,
                      a controller that lost its hardware). Counted as ignored
"""

from __future__ import annotations

from dataclasses import dataclass
import importlib
from typing import Callable

from geometry_msgs.msg import PoseStamped, TransformStamped, TwistStamped, Vector3
import numpy as np
from rclpy.qos import qos_profile_sensor_data
from std_msgs.msg import Float64MultiArray
from trajectory_msgs.msg import JointTrajectory

from . import messages
from ..settings import check_settings, setting
from ..sim.command_follower import CommandFollower, CommandRefused
from ..sim.gripper import GRIPPER_JOINT, GRIPPER_OPEN
from ..sim.reach_env import ReachEnv
from ..sim.sim_topics import EE_FRAME, TF_TOPIC

SERVO_TWIST_TOPIC = '/servo_node/delta_twist_cmds'
GRIPPER_TRAJECTORY_TOPIC = '/gripper_controller/joint_trajectory'
EE_POSE_FAULTS = ('none', 'nan', 'wrong_frame')
WRONG_FRAME = 'world'  # what ee_pose_fault wrong_frame names instead of base_frame


@dataclass(frozen=True)
class EndEffectorFaults:
    """The end-effector fault switches of /sim_robot (see the module docstring)."""

    ee_pose_enabled: bool = setting(
        True, 'publish the tool pose (false: as if its broadcaster stopped)', live=True
    )
    ee_pose_fault: str = setting(
        'none',
        f'break the tool pose: nan (x is NaN), wrong_frame (in {WRONG_FRAME!r})',
        choices=EE_POSE_FAULTS,
        live=True,
    )
    arm_frozen: bool = setting(
        False,
        'the arm ignores Cartesian targets and twists and stands still, still reporting its '
        'pose (an arm that does not follow)',
        live=True,
    )

    def __post_init__(self) -> None:
        check_settings(self)


NO_FAULTS = EndEffectorFaults()


class EndEffectorInputs:
    """The Cartesian and gripper subscriptions of /sim_robot, and what they refused."""

    def __init__(
        self,
        node,
        env: ReachEnv,
        config,
        now: Callable[[], float],
        accepting: Callable[[float], bool],
        faults: Callable[[], EndEffectorFaults] = lambda: NO_FAULTS,
    ):
        """
        Subscribe to the Cartesian and gripper commands.

        config: the node's SimRobotConfig; accepting(now): commands are not ignored now;
        faults(): the fault switches as they are now (they are live parameters).
        """
        self.node = node
        self.env = env
        self.base_frame = config.base_frame
        self._now = now
        self._accepting = accepting
        self._faults = faults
        self.active = False  # the arm follows Cartesian commands, not its joint controllers
        self.refused_cartesian = 0
        self.refused_gripper = 0
        self.ignored_cartesian = 0  # taken while arm_frozen, and not followed
        # The gripper's controllers, imitated as the arm's are: name checks, interpolation.
        self.gripper = CommandFollower((GRIPPER_JOINT,), [GRIPPER_OPEN])
        node.create_subscription(PoseStamped, config.target_pose_topic, self._on_pose, 10)
        node.create_subscription(TwistStamped, config.twist_topic, self._on_twist, 10)
        node.create_subscription(
            Float64MultiArray, config.gripper_command_topic, self._on_gripper_command, 10
        )
        node.create_subscription(
            JointTrajectory, config.gripper_trajectory_topic, self._on_gripper_trajectory, 10
        )

    def reset(self, now: float) -> None:
        """Start a new episode: the arm back under its joint controllers, the gripper open."""
        self.active = False
        self.gripper.hold([GRIPPER_OPEN], now)

    def gripper_target(self, now: float) -> float:
        """Return the finger position the gripper's controller commands now, m."""
        return float(self.gripper.target(now)[0])

    # ---- the arm ------------------------------------------------------------------------
    def _on_pose(self, msg: PoseStamped) -> None:
        pose = messages.pose_values(msg.pose)
        self._cartesian(msg.header.frame_id, 'pose target', lambda: self.env.command_pose(pose))

    def _on_twist(self, msg: TwistStamped) -> None:
        t = msg.twist
        linear = [t.linear.x, t.linear.y, t.linear.z]
        angular = [t.angular.x, t.angular.y, t.angular.z]
        self._cartesian(
            msg.header.frame_id, 'twist', lambda: self.env.command_twist(linear, angular)
        )

    def _cartesian(self, frame_id: str, what: str, command: Callable[[], None]) -> None:
        if not self._accepting(self._now()):
            return
        if frame_id != self.base_frame:
            self._refuse_cartesian(
                f'{what} in frame {frame_id!r}: this arm takes them in {self.base_frame!r} '
                f'only (no TF here); publish it in {self.base_frame!r}'
            )
            return
        if self._faults().arm_frozen:
            # Stand where it is: a joint target at the present joints drops any Cartesian
            # target or twist still being followed. Still `active`: the joint controllers
            # must not take the arm back either.
            self.env.command(self.env.joint_positions)
            self.active = True
            self.ignored_cartesian += 1
            return
        try:
            # The simulator's frame is base_link; base_frame is the name this node gives it.
            command()
        except ValueError as exc:  # non-finite values, or the wrong number of them
            self._refuse_cartesian(str(exc))
            return
        self.active = True

    def _refuse_cartesian(self, reason: str) -> None:
        self.refused_cartesian += 1
        self.node.get_logger().warning(
            f'Cartesian command refused: {reason}', throttle_duration_sec=2.0
        )

    # ---- the gripper --------------------------------------------------------------------
    def _on_gripper_command(self, msg: Float64MultiArray) -> None:
        now = self._now()
        self._gripper(now, lambda: self.gripper.follow_positions(now, list(msg.data)))

    def _on_gripper_trajectory(self, msg: JointTrajectory) -> None:
        now = self._now()
        self._gripper(now, lambda: follow_trajectory(self.gripper, now, msg, 'gripper trajectory'))

    def _gripper(self, now: float, command: Callable[[], None]) -> None:
        if not self._accepting(now):
            return
        try:
            command()
        except CommandRefused as exc:
            self.refused_gripper += 1
            self.node.get_logger().warning(
                f'gripper command refused: {exc}', throttle_duration_sec=2.0
            )


class ToolPoseOutputs:
    """Publishes the measured tool pose: PoseStamped, and /tf where tf2_msgs is installed."""

    def __init__(self, node, config):
        self.base_frame = config.base_frame
        self._pose_pub = node.create_publisher(
            PoseStamped, config.ee_pose_topic, qos_profile_sensor_data
        )
        tf_message = _tf_message_type()
        # Depth 100, as tf2_ros's TransformBroadcaster has it.
        self._tf_pub = node.create_publisher(tf_message, TF_TOPIC, 100) if tf_message else None
        self._tf_message = tf_message

    @property
    def publishes_tf(self) -> bool:
        return self._tf_pub is not None

    def publish(self, pose: np.ndarray, stamp, faults: EndEffectorFaults = NO_FAULTS) -> None:
        """Publish the tool pose [7], stamped `stamp`, in base_frame (unless faults say else)."""
        if not faults.ee_pose_enabled:
            return
        frame = WRONG_FRAME if faults.ee_pose_fault == 'wrong_frame' else self.base_frame
        if faults.ee_pose_fault == 'nan':
            pose = np.array(pose, dtype=np.float64)
            pose[0] = np.nan
        self._pose_pub.publish(messages.pose_stamped(pose, frame, stamp))
        if self._tf_pub is not None:
            self._tf_pub.publish(self._transform(pose, frame, stamp))

    def _transform(self, pose: np.ndarray, frame: str, stamp):
        t = TransformStamped(child_frame_id=EE_FRAME)
        t.header.frame_id, t.header.stamp = frame, stamp
        values = messages.pose(pose)
        p = values.position
        t.transform.translation = Vector3(x=p.x, y=p.y, z=p.z)
        t.transform.rotation = values.orientation
        return self._tf_message(transforms=[t])


def follow_trajectory(follower: CommandFollower, now: float, msg, what: str) -> None:
    """Hand a JointTrajectory to a follower; CommandRefused naming `what` if it is malformed."""
    try:
        names, times, positions = messages.trajectory_positions_at_start(msg)
    except ValueError as exc:
        raise CommandRefused(f'{what}: {exc}') from None
    follower.follow_trajectory(now, names, times, positions)


def _tf_message_type():
    """Return tf2_msgs/TFMessage, or None where tf2_msgs is not installed (no pip wheel)."""
    try:
        return importlib.import_module('tf2_msgs.msg').TFMessage
    except ImportError:
        return None
