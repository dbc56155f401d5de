# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
policy_node with a state policy (no cameras): its whole state arrives by name in /joint_states.

The node runs in its own process on loopback; this test publishes what an arm driver and
an object tracker would (the arm's joints and the goal's values, by name, in one
JointState stream) and watches the commands: they must head for the goal the extras name,
and stop coming when the state does.
"""

import threading
import time

import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

from imle_policy_ros.ros.harness.stack_probe import (  # noqa: E402, I100
    new_domain_id,
    NodeProcess,
    Probe,
    SIM_CONFIG,
)
from sensor_msgs.msg import JointState  # noqa: E402
from state_task import STATE_NAMES  # noqa: E402

GOAL = (0.7, -0.6)


def test_a_state_policy_drives_the_arm_from_named_joint_states(goal_task, tmp_path):
    bundle = goal_task[1]
    domain = new_domain_id()
    limits = [
        '-p',
        'position_lower_limits:=[-2.0, -2.0]',
        '-p',
        'position_upper_limits:=[2.0, 2.0]',
    ]
    node = NodeProcess(
        'imle_policy_ros.ros.policy_node',
        [
            '--params-file',
            str(SIM_CONFIG),
            '-p',
            f'model_path:={bundle}',
            '-p',
            'joint_names:=[arm_x, arm_y]',
        ]
        + limits
        + ['-r', '__node:=imle_policy'],
        domain,
        tmp_path / 'policy.log',
    )
    probe = Probe(domain)
    publisher = probe.node.create_publisher(JointState, '/joint_states', 10)
    publishing = threading.Event()
    publishing.set()

    def publish():
        # The arm at rest at the origin; the goal, as a tracker would add it, by name.
        while publishing.is_set():
            msg = JointState(name=list(STATE_NAMES), position=[0.0, 0.0, *GOAL])
            msg.header.stamp = probe.node.get_clock().now().to_msg()
            publisher.publish(msg)
            time.sleep(0.02)

    thread = threading.Thread(target=publish, daemon=True)
    thread.start()
    try:
        probe.wait_for(lambda p: len(p.commands) >= 20, 40, 'commands from the state policy')
        assert 'no cameras (a state policy)' in node.log()
        heading = np.stack([c[1] for c in probe.commands[-10:]]).mean(axis=0)
        cosine = heading @ GOAL / (np.linalg.norm(heading) * np.linalg.norm(GOAL))
        assert cosine > 0.9, heading  # toward the goal only the extras tell
        publishing.clear()
        thread.join()
        time.sleep(1.0)  # past the stale-input timeout: the arm is held, nothing streams
        count = len(probe.commands)
        time.sleep(0.5)
        assert len(probe.commands) - count <= 1
    finally:
        publishing.clear()
        probe.close()
        code = node.stop()
        print('policy log:\n', node.log()[-3000:])
    assert code == 0
