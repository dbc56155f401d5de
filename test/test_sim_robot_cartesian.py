# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sim_robot_node as a Cartesian robot with a gripper, driven from this process over loopback.

The simulator runs in a process of its own in the reach_and_grasp task; this test publishes
what a Cartesian motion controller, MoveIt Servo and a gripper controller would be sent,
and reads back what a real setup reports: /ee_pose, /joint_states and the status. One
simulator for the module (starting it costs seconds); each test starts a new episode.
"""

import time

import numpy as np
import pytest

pytest.importorskip('rclpy')
pytestmark = pytest.mark.ros

from imle_policy_ros.ros import messages  # noqa: E402, I100
from imle_policy_ros.ros.harness.stack_probe import new_domain_id, NodeProcess  # noqa: E402
from imle_policy_ros.sim.reach_env import ReachEnv  # noqa: E402
from sim_driver import Driver, HOME  # noqa: E402


@pytest.fixture(scope='module')
def arm(tmp_path_factory):
    logs = tmp_path_factory.mktemp('sim_cartesian')
    domain = new_domain_id()
    parameters = {
        'task': 'reach_and_grasp',
        'seed': '3',
        'reset_on_done': 'false',
        'time_limit': '0.0',
        'settle_time': '0.1',
        'image_size': '16',
        'camera_rate_hz': '5.0',
    }
    args = [a for name, value in parameters.items() for a in ('-p', f'{name}:={value}')]
    sim = NodeProcess('imle_policy_ros.ros.sim_robot_node', args, domain, logs / 'sim.log')
    driver = Driver(domain)
    try:
        driver.wait_for(
            lambda: driver.status and driver.ee_pose and driver.joint_state, 30, 'the simulator'
        )
        yield driver, sim
    finally:
        driver.close()
        code = sim.stop()
        print('sim log:\n', sim.log()[-3000:])
        assert code == 0, f'the simulator did not exit cleanly on SIGINT: {code}'


def test_joint_states_list_the_gripper_and_the_tool_pose_comes_with_them(arm):
    driver, _ = arm
    status = driver.new_episode()
    assert status['task'] == 'reach_and_grasp' and status['outcome'] == 'running'
    assert list(driver.joint_state.name) == ['shoulder', 'elbow', 'gripper_finger']
    assert driver.finger() == pytest.approx(0.04) and status['gripper_position'] == 0.04
    assert driver.ee_pose.header.frame_id == 'base_link'
    np.testing.assert_allclose(driver.tool(), HOME, atol=1e-6)
    np.testing.assert_allclose(status['tool_position'], HOME, atol=1e-4)
    time.sleep(0.3)
    with driver.lock:  # one stamp for both: the same driver tick measured them
        shared = set(driver.ee_stamps) & set(driver.joint_stamps)
        assert len(shared) >= 0.8 * min(len(driver.ee_stamps), len(driver.joint_stamps))


def test_a_pose_target_is_reached_and_joint_commands_take_the_arm_back(arm):
    driver, _ = arm
    refused = driver.new_episode()['refused_cartesian_commands']
    target = HOME + [0.0, 0.12]
    driver.wait_for(
        lambda: np.linalg.norm(driver.tool() - target) < 1e-3,
        5,
        'the tool at the target',
        action=lambda: driver.send_pose(target),
    )
    status = driver.wait_for(
        lambda: driver.status['cartesian_control'] and driver.status, 2, 'Cartesian control'
    )
    assert status['refused_cartesian_commands'] == refused and status['outcome'] == 'running'
    # a forward position command puts the arm back under its joint controllers
    q = np.array(status['joint_positions']) + [0.1, 0.0]
    driver.wait_for(
        lambda: np.allclose(driver.status['joint_positions'], q, atol=1e-3),
        5,
        'the joints at the forward position command',
        action=lambda: driver.position_pub.publish(messages.float64_array(q)),
    )
    assert not driver.status['cartesian_control']


def test_a_target_in_another_frame_or_not_finite_moves_nothing(arm):
    driver, _ = arm
    refused = driver.new_episode()['refused_cartesian_commands']
    for _ in range(10):
        driver.send_pose(HOME + [0.0, -0.12], frame='world')
        driver.send_twist([0.0, -0.1, 0.0], frame='tool0')
        driver.send_pose([np.nan, 0.1])
        time.sleep(0.05)
    status = driver.wait_for(
        lambda: driver.status['refused_cartesian_commands'] >= refused + 30 and driver.status,
        5,
        'the refusals to be counted',
    )
    assert not status['cartesian_control']
    np.testing.assert_allclose(driver.tool(), HOME, atol=1e-6)


def test_twists_move_the_tool_and_it_stops_when_they_stop(arm):
    driver, _ = arm
    refused = driver.new_episode()['refused_cartesian_commands']  # counted since the start
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        driver.send_twist([0.0, 0.1, 0.0])
        time.sleep(0.02)
    stopped = time.monotonic()
    moved = driver.tool() - HOME
    assert 0.05 < moved[1] < 0.15 and abs(moved[0]) < 0.01, moved
    time.sleep(max(0.0, stopped + 0.3 - time.monotonic()))
    after_timeout = driver.tool()
    time.sleep(0.5)
    np.testing.assert_allclose(driver.tool(), after_timeout, atol=1e-6)
    assert driver.status['refused_cartesian_commands'] == refused


def test_closing_the_gripper_off_the_target_is_a_grasp_at_the_air(arm):
    driver, _ = arm
    refused = driver.new_episode()['refused_gripper_commands']
    driver.wait_for(
        lambda: driver.finger() == 0.0,
        3,
        'the finger closed',
        action=lambda: driver.send_finger(0.0),
    )
    status = driver.wait_for(
        lambda: driver.status['outcome'] != 'running' and driver.status, 2, ''
    )
    assert status['outcome'] == 'grasped_early' and status['grasped_early'], status
    assert not (status['success'] or status['timeout'] or status['collision'])
    # a JointTrajectoryController of the gripper opens it again; other joints are refused
    opening = messages.joint_trajectory(['gripper_finger'], [0.3], [[0.04]])
    driver.gripper_trajectory_pub.publish(opening)
    driver.wait_for(lambda: driver.finger() == pytest.approx(0.04), 3, 'the finger open')
    driver.gripper_trajectory_pub.publish(messages.joint_trajectory(['elbow'], [0.3], [[0.0]]))
    driver.send_finger(float('inf'))
    driver.wait_for(
        lambda: driver.status['refused_gripper_commands'] == refused + 2, 3, 'two refusals'
    )
    assert driver.finger() == pytest.approx(0.04)


def test_the_grasp_succeeds_with_the_tool_on_the_target_and_the_gripper_closed(arm):
    driver, _ = arm
    status = driver.new_episode()
    env = ReachEnv()
    env.reset(seed=status['scene_seed'])  # the simulator's scene: where the target is
    target = np.asarray(env.scene.target_xy)
    # Round the obstacle on its left, in small steps (the arm moves in joint space between
    # targets, so a long jump could swing the tool through the obstacle).
    corners = [HOME, [HOME[0], 0.17], [target[0], 0.17], target]
    path = np.concatenate(
        [
            np.linspace(a, b, int(np.linalg.norm(np.subtract(b, a)) / 0.008) + 2)
            for a, b in zip(corners, corners[1:])
        ]
    )
    for xy in path:  # 0.4 m/s at 50 Hz
        driver.send_pose(xy)
        time.sleep(0.02)
    driver.wait_for(
        lambda: np.linalg.norm(driver.tool() - target) < 0.005,
        5,
        'the tool on the target',
        action=lambda: driver.send_pose(target),
    )
    assert driver.status['outcome'] == 'running'  # on the target, not yet grasped
    status = driver.wait_for(
        lambda: driver.status['outcome'] != 'running' and driver.status,
        3,
        'the grasp',
        action=lambda: driver.send_finger(0.0),
    )
    assert status['outcome'] == 'success' and status['side'] == 'left', status
    assert status['gripper_position'] <= 0.005


def test_the_scripted_teleoperator_demonstrates_the_grasp_through_pose_targets(arm, tmp_path):
    """sim_teleop_node with action_space ee_pose, as record_demos starts it for sim_ee.yaml."""
    driver, _ = arm
    driver.new_episode()
    sent, closed = len(driver.targets), len(driver.fingers)
    teleop = NodeProcess(
        'imle_policy_ros.ros.sim_teleop_node',
        ['-p', 'action_space:=ee_pose', '-p', 'side:=right', '-p', 'start_delay:=1.0'],
        driver.domain,
        tmp_path / 'teleop.log',
    )
    try:
        code = teleop.proc.wait(timeout=60)  # it ends by itself when the demonstration is done
    finally:
        teleop.stop()
    log = teleop.log()
    assert code == 0 and 'going right' in log and 'success (right)' in log, log
    assert driver.status['outcome'] == 'success', driver.status
    targets = driver.targets[sent:]
    assert len(targets) > 20 and {t.header.frame_id for t in targets} == {'base_link'}
    fingers = driver.fingers[closed:]
    assert fingers[0] == 0.04 and fingers[-1] == 0.0  # open on the way, then the grasp
