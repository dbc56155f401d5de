# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A test-side node that drives sim_robot_node as Cartesian and gripper controllers' clients do.

It publishes pose targets, twists and gripper commands, keeps what the arm reports
(/ee_pose, /joint_states, the simulator's status) and what others command on the target and
gripper topics. Import it after `pytest.importorskip('rclpy')`.
"""

import json
import threading
import time

from imle_policy_ros.ros import messages
import numpy as np

TARGET_TOPIC = '/cartesian_motion_controller/target_frame'
TWIST_TOPIC = '/servo_node/delta_twist_cmds'
GRIPPER_TOPIC = '/gripper_controller/commands'
GRIPPER_TRAJECTORY_TOPIC = '/gripper_controller/joint_trajectory'
POSITION_TOPIC = '/forward_position_controller/commands'
HOME = np.array([0.35, 0.0])  # the tool's home (sim/reach_task.py)


class Driver:
    """Stands in for the controllers' clients: publishes commands, keeps what the arm reports."""

    def __init__(self, domain: int):
        from geometry_msgs.msg import PoseStamped, TwistStamped
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.qos import qos_profile_sensor_data
        from sensor_msgs.msg import JointState
        from std_msgs.msg import Float64MultiArray, String
        from std_srvs.srv import Trigger
        from trajectory_msgs.msg import JointTrajectory

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain)
        self.domain = domain
        self.node = node = rclpy.create_node('cartesian_driver', context=self.context)
        self.lock = threading.Lock()
        self.ee_pose = self.joint_state = None
        self.status: dict = {}
        self.targets, self.twists, self.fingers = [], [], []  # what others sent, as received
        self.ee_stamps: list[int] = []
        self.joint_stamps: list[int] = []
        self.pose_pub = node.create_publisher(PoseStamped, TARGET_TOPIC, 10)
        self.twist_pub = node.create_publisher(TwistStamped, TWIST_TOPIC, 10)
        self.gripper_pub = node.create_publisher(Float64MultiArray, GRIPPER_TOPIC, 10)
        self.gripper_trajectory_pub = node.create_publisher(
            JointTrajectory, GRIPPER_TRAJECTORY_TOPIC, 10
        )
        self.position_pub = node.create_publisher(Float64MultiArray, POSITION_TOPIC, 10)
        node.create_subscription(PoseStamped, '/ee_pose', self._on_pose, qos_profile_sensor_data)
        node.create_subscription(
            JointState, '/joint_states', self._on_joint_state, qos_profile_sensor_data
        )
        node.create_subscription(String, '/sim_robot/status', self._on_status, 10)
        node.create_subscription(PoseStamped, TARGET_TOPIC, self.targets.append, 10)
        node.create_subscription(TwistStamped, TWIST_TOPIC, self.twists.append, 10)
        node.create_subscription(
            Float64MultiArray, GRIPPER_TOPIC, lambda m: self.fingers.append(m.data[0]), 10
        )
        self.reset_client = node.create_client(Trigger, '/sim_robot/reset')
        self._trigger = Trigger
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(node)
        self._spinner = threading.Thread(target=self.executor.spin, daemon=True)
        self._spinner.start()

    def _on_pose(self, msg):
        with self.lock:
            self.ee_pose = msg
            self.ee_stamps = self.ee_stamps[-200:] + [_ns(msg.header.stamp)]

    def _on_joint_state(self, msg):
        with self.lock:
            self.joint_state = msg
            self.joint_stamps = self.joint_stamps[-200:] + [_ns(msg.header.stamp)]

    def _on_status(self, msg):
        with self.lock:
            self.status = json.loads(msg.data)

    def close(self):
        import rclpy

        rclpy.try_shutdown(context=self.context)
        self.executor.shutdown(timeout_sec=1.0)
        self._spinner.join(timeout=5.0)

    # ---- reading ------------------------------------------------------------------------
    def tool(self) -> np.ndarray:
        with self.lock:
            return messages.pose_values(self.ee_pose.pose)[:2]

    def finger(self) -> float:
        with self.lock:
            js = self.joint_state
            return float(js.position[list(js.name).index('gripper_finger')])

    def wait_for(self, predicate, timeout: float, what: str, action=None, period: float = 0.05):
        """Call action() every period until predicate() holds; return its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if action is not None:
                action()
            value = predicate()
            if value:
                return value
            time.sleep(period)
        raise AssertionError(f'timed out after {timeout} s waiting for {what}; {self.status}')

    def new_episode(self) -> dict:
        episode = self.status['episode']
        assert self.reset_client.wait_for_service(timeout_sec=10)
        self.reset_client.call_async(self._trigger.Request())
        return self.wait_for(
            lambda: self.status['episode'] > episode and self.status['time'] > 0.3 and self.status,
            10,
            'the new episode',
        )

    # ---- commanding ---------------------------------------------------------------------
    def send_pose(self, xy, frame: str = 'base_link'):
        pose = [float(xy[0]), float(xy[1]), 0.0, 0.0, 0.0, 0.0, 1.0]
        self.pose_pub.publish(messages.pose_stamped(pose, frame, _zero_stamp()))

    def send_twist(self, linear, frame: str = 'base_link'):
        self.twist_pub.publish(
            messages.twist_stamped(linear, [0.0, 0.0, 0.0], frame, _zero_stamp())
        )

    def send_finger(self, position: float):
        self.gripper_pub.publish(messages.float64_array([position]))


def _ns(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


def _zero_stamp():
    return messages.seconds_to_stamp(0.0)
