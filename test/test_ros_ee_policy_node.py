# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
policy_node with an end-effector bundle, in a process of its own, fed by a scripted arm.

No simulated robot takes pose commands yet, so the loop is not closed: this test stands in
for the arm's controller, publishing its measured pose (and the gripper joint) and
watching what the node commands. With no camera the node holds, and an end-effector hold
is the measured pose, in the base frame, as PoseStamped at control rate; a pose in another
frame is refused and counted, and the arm's state is then unknown: after one hold
nothing more is commanded.
"""

import textwrap
import time

from bundle_factory import EE_LAYOUT, make_tiny_bundle
from node_processes import node_processes, output_of
import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

RUNNER = textwrap.dedent("""
    import sys

    from imle_policy_ros.ros.policy_node import main

    sys.exit(main())
""")
COMMAND_TOPIC = '/cartesian_motion_controller/target_frame'
POSE_TOPIC = '/cartesian_motion_controller/current_pose'
GRIPPER_TOPIC = '/gripper_controller/commands'
MEASURED = [0.45, -0.1, 0.3, 0.0, 0.0, 0.0, 1.0]


def ee_node_args(bundle, *more):
    parameters = {
        'model_path': str(bundle),
        'providers': '[cpu]',
        'command_interface': 'pose',
        'command_topic': COMMAND_TOPIC,
        'ee_pose_topic': POSE_TOPIC,
        'image_topics': '[/camera/image_raw]',
        'workspace_lower': '[0.0, -0.5, 0.0]',
        'workspace_upper': '[0.8, 0.5, 0.7]',
        'gripper_interface': 'forward_command',
        'autostart': 'true',
        'diagnostics_rate_hz': '5.0',
    }
    args = []
    for name, value in parameters.items():
        args += ['-p', f'{name}:={value}']
    return args + list(more)


class ScriptedArm:
    """Publishes the measured pose (in `frame`) and the gripper joint; records what comes."""

    def __init__(self, domain_id: int):
        from diagnostic_msgs.msg import DiagnosticArray
        from geometry_msgs.msg import PoseStamped
        import rclpy
        from rclpy.executors import SingleThreadedExecutor
        from sensor_msgs.msg import JointState
        from std_msgs.msg import Float64MultiArray

        self.context = rclpy.Context()
        rclpy.init(context=self.context, domain_id=domain_id)
        self.node = rclpy.create_node('scripted_arm', context=self.context)
        self.frame = 'base_link'
        self.commands, self.gripper, self.diagnostics = [], [], {}
        self._pose_pub = self.node.create_publisher(PoseStamped, POSE_TOPIC, 10)
        self._joint_pub = self.node.create_publisher(JointState, '/joint_states', 10)
        self.node.create_subscription(
            PoseStamped, COMMAND_TOPIC, lambda m: self.commands.append((time.monotonic(), m)), 10
        )
        self.node.create_subscription(
            Float64MultiArray, GRIPPER_TOPIC, lambda m: self.gripper.append(m), 10
        )
        self.node.create_subscription(DiagnosticArray, '/diagnostics', self._on_diagnostics, 10)
        self.node.create_timer(0.02, self._publish)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def _publish(self):
        from imle_policy_ros.ros import messages

        stamp = self.node.get_clock().now().to_msg()
        self._pose_pub.publish(messages.pose_stamped(MEASURED, self.frame, stamp))
        self._joint_pub.publish(messages.joint_state(['finger_joint'], [0.04], [0.0], stamp))

    def _on_diagnostics(self, msg):
        from imle_policy_ros.ros import messages

        self.diagnostics = messages.diagnostic_values(msg)

    def spin_until(self, condition, timeout: float, process, log, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert process.poll() is None, f'the node exited:\n{output_of(log)}'
            self.executor.spin_once(timeout_sec=0.05)
            if condition():
                return
        raise AssertionError(f'timed out waiting for {what}:\n{output_of(log)[-3000:]}')

    def spin_for(self, seconds: float, process, log):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert process.poll() is None, f'the node exited:\n{output_of(log)}'
            self.executor.spin_once(timeout_sec=0.05)

    def close(self):
        self.context.try_shutdown()


def test_an_enabled_node_holds_at_the_measured_pose_and_refuses_other_frames(tmp_path):
    bundle = make_tiny_bundle(tmp_path, ee_layout=EE_LAYOUT)
    with node_processes(tmp_path, RUNNER) as start:
        process, domain_id, log = start(*ee_node_args(bundle))
        arm = ScriptedArm(domain_id)
        try:
            arm.spin_until(lambda: len(arm.commands) >= 20, 40, process, log, 'pose holds')
            arm.spin_until(
                lambda: 'tracking_error_m' in arm.diagnostics, 10, process, log, 'diagnostics'
            )
            held = arm.diagnostics
            arm.frame = 'world'  # the arm's driver now says another frame
            t_wrong = time.monotonic()
            arm.spin_until(
                lambda: int(arm.diagnostics.get('ee_pose_wrong_frame', 0)) > 10,
                10,
                process,
                log,
                'poses in another frame to be refused',
            )
            arm.spin_for(max(0.0, t_wrong + 2.5 - time.monotonic()), process, log)
        finally:
            arm.close()
        process.send_signal(2)
        assert process.wait(timeout=20) == 0
        output = output_of(log)

    for _, msg in arm.commands:
        assert msg.header.frame_id == 'base_link'
        p, q = msg.pose.position, msg.pose.orientation
        np.testing.assert_allclose([p.x, p.y, p.z, q.x, q.y, q.z, q.w], MEASURED, atol=1e-9)
    stamps = [m.header.stamp.sec + m.header.stamp.nanosec * 1e-9 for _, m in arm.commands]
    assert np.all(np.diff(stamps) > 0)  # stamped at each tick
    assert "camera 'front'" in held['stale_inputs'] and held['enabled'] == 'True'
    assert float(held['tracking_error_m']) == pytest.approx(0.0, abs=1e-9)
    assert held['gripper_state'] == 'unknown' and not arm.gripper  # nothing known to send
    # After the last pose in the base frame: commands until it went stale (0.5 s), then one
    # hold, then none.
    late = [t for t, _ in arm.commands if t > t_wrong + 1.0]
    assert not late, f'{len(late)} commands after the pose went stale'
    assert 'ee_pose' in arm.diagnostics['rejected_inputs_by_source']
    assert "in frame 'world', not the base frame 'base_link'" in output
    assert 'Traceback' not in output


def test_a_joint_interface_for_an_end_effector_bundle_does_not_start(tmp_path):
    bundle = make_tiny_bundle(tmp_path, ee_layout=EE_LAYOUT)
    with node_processes(tmp_path, RUNNER) as start:
        args = ee_node_args(bundle, '-p', 'command_interface:=joint_trajectory')
        process, _, log = start(*args, '-p', 'velocity_limits:=[1.0]')
        assert process.wait(timeout=60) == 1
        output = output_of(log)
    assert 'cannot start' in output and 'set command_interface to pose or twist' in output
    assert 'Traceback' not in output
