# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
policy_node and sim_robot_node as separate processes on loopback, driven as a user does.

The bundled model closes the loop; the nodes are driven the way a user drives them:
services, `ros2 param set`-style parameter calls. Faults (a camera that stops, bad
inputs, refused models) are in test_ros_faults.py. One stack for the module (starting it
costs seconds); each test puts it in the state it needs first.
"""

from pathlib import Path
import shutil
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
from std_srvs.srv import SetBool, Trigger  # noqa: E402

REPO = Path(__file__).resolve().parents[1]

VELOCITY_LIMIT = 1.5  # config/sim.yaml
LOWER, UPPER = np.array([-2.5, -2.8]), np.array([2.5, 2.8])


@pytest.fixture(scope='module')
def stack(tmp_path_factory):
    logs = tmp_path_factory.mktemp('ros_logs')
    domain = new_domain_id()
    sim = NodeProcess(
        'imle_policy_ros.ros.sim_robot_node',
        ['--params-file', str(SIM_CONFIG), '-p', 'reset_on_done:=false'],
        domain,
        logs / 'sim.log',
    )
    policy = NodeProcess(
        'imle_policy_ros.ros.policy_node',
        # -r __node: what launch_ros passes for Node(name=...)
        ['--params-file', str(SIM_CONFIG), '-p', 'autostart:=false', '-r', '__node:=imle_policy'],
        domain,
        logs / 'policy.log',
    )
    probe = Probe(domain)
    try:
        probe.wait_for(lambda p: p.status and p.policy_diagnostics(), 30, 'both nodes to come up')
        yield probe, sim, policy
    finally:
        probe.close()
        codes = policy.stop(), sim.stop()
        print('policy log:\n', policy.log()[-3000:], '\nsim log:\n', sim.log()[-2000:])
        assert codes == (0, 0), f'nodes did not exit cleanly on SIGINT: {codes}'


def enable(probe, on: bool):
    response = probe.call(SetBool, '/imle_policy/enable', SetBool.Request(data=on))
    assert response.success


def new_episode(probe):
    """Disable, start a new scene (the simulator also resets the policy), wait for it."""
    enable(probe, False)
    episode = probe.status['episode']
    assert probe.call(Trigger, '/sim_robot/reset', Trigger.Request()).success
    probe.wait_for(
        lambda p: p.status['episode'] > episode and p.status['time'] > 0.3, 10, 'the new episode'
    )


def assert_commands_safe(commands):
    positions = np.stack([c[1] for c in commands])
    times = np.array([c[0] for c in commands])
    assert np.all(np.isfinite(positions))
    assert np.all(positions >= LOWER - 1e-9) and np.all(positions <= UPPER + 1e-9)
    # consecutive commands at most the velocity limit apart (receive times are loose: +20 ms)
    steps = np.abs(np.diff(positions, axis=0)).max(axis=1)
    assert np.all(steps <= VELOCITY_LIMIT * (np.diff(times) + 0.02) + 1e-6), steps.max()


def test_starts_disabled_and_predicts_in_shadow_mode(stack):
    probe, _, _ = stack
    start = probe.status['joint_positions']
    probe.wait_for(
        lambda p: len(p.predictions) >= 2, 15, 'shadow predictions on ~/predicted_trajectory'
    )
    assert probe.policy_diagnostics()['enabled'] == 'False'
    assert 'disabled' in probe.policy_diagnostics()['_message']
    assert not probe.commands  # disabled from the start: the arm is left alone
    assert probe.status['joint_positions'] == start


def test_enabled_policy_reaches_the_target(stack):
    probe, _, _ = stack
    new_episode(probe)
    t0 = time.monotonic()
    enable(probe, True)
    status = probe.wait_for(
        lambda p: (p.status['success'] or p.status['collision']) and p.status,
        20,
        'the arm to reach the target',
    )
    assert status['success'] and not status['collision'], status
    commands = probe.commands_since(t0)
    assert len(commands) > 100
    assert_commands_safe(commands)
    diagnostics = probe.policy_diagnostics()
    assert int(diagnostics['chunks_started']) >= 2 and diagnostics['stale_inputs'] == 'none'


def test_disable_stops_the_arm_where_it_is(stack):
    probe, _, _ = stack
    new_episode(probe)
    enable(probe, True)
    probe.wait_for(lambda p: p.status['distance_to_target'] < 0.4, 10, 'the arm to start moving')
    enable(probe, False)
    t_off = time.monotonic()
    time.sleep(0.3)
    held = np.array(probe.status['joint_positions'])
    time.sleep(1.0)
    assert np.allclose(probe.status['joint_positions'], held, atol=1e-3)
    assert len(probe.commands_since(t_off + 0.05)) <= 1  # at most the one stop command


def test_model_switch_through_parameters(stack, tmp_path):
    probe, _, _ = stack
    """A good switch while the arm moves (the refused ones are in test_ros_faults.py)."""
    good = tmp_path / 'good_model'
    shutil.copytree(REPO / 'models' / 'reach_default', good)

    new_episode(probe)
    t0 = time.monotonic()
    enable(probe, True)
    result = probe.set_parameters('/imle_policy', {'model_path': str(good)})[0]
    assert result.successful, result.reason
    probe.wait_for(
        lambda p: p.policy_diagnostics().get('active_model') == str(good),
        10,
        'the new model to take over',
    )
    status = probe.wait_for(
        lambda p: (p.status['success'] or p.status['collision']) and p.status,
        20,
        'the arm to reach the target across the switch',
    )
    assert status['success'], status
    diagnostics = probe.policy_diagnostics()
    assert diagnostics['active_model'] == str(good) and diagnostics['switch_pending'] == 'False'
    commands = probe.commands_since(t0)
    gaps = np.diff([c[0] for c in commands])
    assert gaps.max() < 0.2, f'control ticks stalled for {gaps.max():.3f} s during a switch'
    assert_commands_safe(commands)


def test_read_only_parameter_is_refused_at_run_time(stack):
    probe, _, _ = stack
    result = probe.set_parameters('/imle_policy', {'control_rate_hz': 10.0})[0]
    assert not result.successful
    result = probe.set_parameters('/imle_policy', {'num_samples': 0})[0]
    assert not result.successful
    assert probe.set_parameters('/imle_policy', {'num_samples': 16})[0].successful
    probe.wait_for(
        lambda p: p.policy_diagnostics().get('num_samples') == '16', 5, 'num_samples to apply'
    )


def test_one_node_answers_for_imle_policy_when_renamed_as_launch_does(stack):
    probe, _, _ = stack
    names = [
        ns.rstrip('/') + '/' + name for name, ns in probe.node.get_node_names_and_namespaces()
    ]
    assert names.count('/imle_policy') == 1, names
    for _ in range(10):  # two nodes behind one name would fail about half of these
        assert probe.set_parameters('/imle_policy', {'shadow_mode': True})[0].successful


def test_resets_during_control_never_break_a_tick(stack):
    probe, _, policy = stack
    new_episode(probe)
    enable(probe, True)
    for _ in range(40):
        assert probe.call(Trigger, '/imle_policy/reset', Trigger.Request()).success
        time.sleep(0.01)
    time.sleep(0.5)
    assert 'control tick failed' not in policy.log()
    probe.wait_for(
        lambda p: p.policy_diagnostics().get('_message') == 'running', 5, 'control to resume'
    )


def test_policy_node_refuses_to_start_with_a_clear_reason(tmp_path):
    node = NodeProcess(
        'imle_policy_ros.ros.policy_node',
        ['--params-file', str(SIM_CONFIG), '-p', 'command_interface:=pose'],
        new_domain_id(),
        tmp_path / 'policy.log',
    )
    try:
        assert node.proc.wait(30) == 1
    finally:
        node.stop()
    log = node.log()
    assert 'cannot start' in log and 'ee_pose' in log and 'Traceback' not in log


def test_run_command_starts_the_config_s_nodes_in_one_process(tmp_path):
    """
    The README's first command: `imle-policy-ros run --config config/sim.yaml`.

    It runs from another working directory (the config and the model are found in the
    package).
    """
    import os
    import subprocess
    import sys

    env = dict(os.environ, ROS_DOMAIN_ID=str(new_domain_id()))
    result = subprocess.run(
        [
            sys.executable,
            '-m',
            'imle_policy_ros.cli',
            'run',
            '--config',
            'sim.yaml',
            '--duration',
            '12',
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert 'episode 0: success' in output, output[-3000:]
    assert 'Traceback' not in output
