# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
record_demos.launch.py's plan.

One bag per episode, the policy's topics, the scripted teleoperator with robot:=sim, the
hardware shared with deploy.launch.py.
"""

import ast
from pathlib import Path

from imle_policy_ros.ros.launch_plan import DeployArgs, plan_deploy, PlanError
from imle_policy_ros.ros.record_plan import next_episode, plan_record, policy_section, RecordArgs
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]


def config(name):
    return policy_section(yaml.safe_load((REPO / 'config' / name).read_text()))


def sim_plan(**kwargs):
    return plan_record(RecordArgs(output_dir='/data/demos', **kwargs), config('sim.yaml'), [])


def test_sim_records_the_policy_s_topics_into_the_first_episode_and_ends_with_the_teleoperator():
    plan = sim_plan()
    assert plan.bag_path == '/data/demos/episode_000000'
    assert plan.topics == (
        '/camera/top/image_raw',
        '/joint_states',
        '/joint_trajectory_controller/joint_trajectory',
    )
    assert plan.record_command == (
        'ros2',
        'bag',
        'record',
        '-s',
        'mcap',
        '-o',
        '/data/demos/episode_000000',
        '--topics',
        *plan.topics,
    )
    assert [n.executable for n in plan.nodes] == ['sim_robot_node', 'sim_teleop_node']
    assert plan.end_with == 'sim_teleop'
    sim = plan.node('sim_robot')
    assert sim.overrides == {
        'seed': 0,
        'reset_on_done': False,
        'time_limit': 0.0,
        'policy_reset_service': '',
    }
    teleop = plan.node('sim_teleop')
    assert teleop.overrides['command_topic'] == '/joint_trajectory_controller/joint_trajectory'
    assert teleop.overrides['side'] == 'random' and teleop.overrides['seed'] == 0


def test_episodes_are_numbered_after_the_highest_existing_one_and_seed_the_scene():
    assert next_episode([]) == ('episode_000000', 0)
    assert next_episode(['episode_000000', 'episode_000004', 'notes.txt', 'episode_x']) == (
        'episode_000005',
        5,
    )
    plan = plan_record(RecordArgs(output_dir='demos'), config('sim.yaml'), ['episode_000002'])
    assert plan.bag_path == 'demos/episode_000003'
    assert plan.node('sim_robot').overrides['seed'] == 3
    assert (
        plan_record(RecordArgs(seed=42), config('sim.yaml'), [])
        .node('sim_robot')
        .overrides['seed']
        == 42
    )


def test_a_named_episode_is_never_overwritten():
    plan = plan_record(
        RecordArgs(output_dir='d', episode='pick_1'), config('sim.yaml'), ['pick_0']
    )
    assert plan.bag_path == 'd/pick_1'
    with pytest.raises(PlanError, match='d/pick_0 exists'):
        plan_record(RecordArgs(output_dir='d', episode='pick_0'), config('sim.yaml'), ['pick_0'])
    with pytest.raises(PlanError, match='plain name'):
        plan_record(RecordArgs(episode='../x'), config('sim.yaml'), [])


def test_humble_takes_topics_positionally_and_sqlite3_is_a_choice():
    plan = plan_record(
        RecordArgs(DeployArgs(ros_distro='humble'), storage='sqlite3'), config('sim.yaml'), []
    )
    assert plan.record_command[:6] == ('ros2', 'bag', 'record', '-s', 'sqlite3', '-o')
    assert '--topics' not in plan.record_command and plan.record_command[-3:] == plan.topics
    with pytest.raises(PlanError, match='storage:=zip'):
        plan_record(RecordArgs(storage='zip'), config('sim.yaml'), [])


def test_real_arm_records_with_the_deploy_hardware_and_no_teleoperator():
    hardware = DeployArgs(robot='ur', use_mock_hardware=True)
    plan = plan_record(
        RecordArgs(hardware), config('ur.yaml'), [], lambda name: name == 'ur_robot_driver'
    )
    deploy = plan_deploy(
        DeployArgs(robot='ur', model='/m', use_mock_hardware=True),
        lambda name: name == 'ur_robot_driver',
    )
    assert plan.includes == deploy.includes
    assert [n.executable for n in plan.nodes] == [
        'realsense_node'
    ]  # no realsense2_camera installed
    assert plan.end_with == ''
    # the hardware's topic overrides apply: the mock arm's controller, the realsense topic
    assert plan.topics[0] == '/camera/camera/color/image_raw'
    assert plan.topics[-1] == '/joint_trajectory_controller/joint_trajectory'


def test_topics_argument_replaces_the_config_s_and_a_config_without_topics_is_refused():
    plan = plan_record(
        RecordArgs(topics=('/cam', '/js', '/spacemouse/joint_command')), config('sim.yaml'), []
    )
    assert plan.topics == ('/cam', '/js', '/spacemouse/joint_command')
    with pytest.raises(PlanError, match='no image_topics'):
        plan_record(RecordArgs(), {'joint_state_topic': '/js', 'command_topic': '/c'}, [])


def test_sim_recording_needs_trajectory_commands():
    params = {**config('sim.yaml'), 'command_interface': 'forward_position'}
    with pytest.raises(PlanError, match='forward_position'):
        plan_record(RecordArgs(), params, [])


def test_record_launch_file_takes_its_decisions_from_the_plan_and_declares_every_argument():
    from test_launch_plan import declared_arguments

    source = (REPO / 'launch' / 'record_demos.launch.py').read_text()
    assert 'plan_record(' in source and 'OnProcessExit' in source
    declared = declared_arguments(ast.parse(source))
    hardware = set(DeployArgs.__dataclass_fields__) - {'ros_distro', 'model', 'autostart'}
    record = set(RecordArgs.__dataclass_fields__) - {'hardware'}
    assert declared == hardware | record
