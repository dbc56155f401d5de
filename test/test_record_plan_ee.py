# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
record_demos.launch.py's plan for end-effector configs.

What is recorded for a pose or twist config, and how the scripted teleoperator is told to
send pose targets and gripper commands with robot:=sim (config/sim_ee.yaml) and
robot:=metaworld (config/metaworld.yaml).
"""

from pathlib import Path

from imle_policy_ros.ros.launch_plan import DeployArgs, PlanError
from imle_policy_ros.ros.record_plan import (
    node_section,
    plan_record,
    policy_section,
    RecordArgs,
    recorded_topics,
)
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EE_TOPICS = (
    '/camera/top/image_raw',
    '/joint_states',
    '/ee_pose',
    '/cartesian_motion_controller/target_frame',
    '/gripper_controller/commands',
    '/tf',
)


def document(name):
    return yaml.safe_load((REPO / 'config' / name).read_text())


def sim_plan(name, robot_parameters=None):
    doc = document(name)
    robot = node_section(doc, 'sim_robot') if robot_parameters is None else robot_parameters
    args = RecordArgs(DeployArgs(config=name), output_dir='/data/demos')
    return plan_record(args, policy_section(doc), [], robot_parameters=robot)


@pytest.mark.parametrize('name', ['sim_ee.yaml', 'sim_ee_twist.yaml'])
def test_sim_ee_records_what_the_teleoperator_sends_and_what_the_arm_reports(name):
    plan = sim_plan(name)
    # the teleoperator sends pose targets for either config: the bundle learns from those
    assert plan.topics == EE_TOPICS
    assert [n.executable for n in plan.nodes] == ['sim_robot_node', 'sim_teleop_node']
    assert plan.node('sim_robot').parameter_files == (name,)
    teleop = plan.node('sim_teleop').overrides
    assert teleop == {
        'side': 'random',
        'seed': 0,
        'action_space': 'ee_pose',
        'target_topic': '/cartesian_motion_controller/target_frame',
        'gripper_topic': '/gripper_controller/commands',
        'base_frame': 'base_link',
    }
    assert plan.end_with == 'sim_teleop'


def test_the_simulator_s_own_topics_are_the_ones_the_teleoperator_is_told():
    plan = sim_plan(
        'sim_ee_twist.yaml',
        {'target_pose_topic': '/arm/target', 'gripper_command_topic': '/hand/commands'},
    )
    assert plan.topics[3:5] == ('/arm/target', '/hand/commands')
    teleop = plan.node('sim_teleop').overrides
    assert (teleop['target_topic'], teleop['gripper_topic']) == ('/arm/target', '/hand/commands')


def test_a_real_ee_config_records_its_pose_command_and_gripper_topics_and_tf():
    params = policy_section(document('cartesian_motion_controller.yaml'))
    assert recorded_topics(params, {}) == (
        '/camera/camera/color/image_raw',
        '/joint_states',
        '/cartesian_motion_controller/current_pose',
        '/cartesian_motion_controller/target_frame',
        '/gripper_controller/commands',
        '/tf',
    )
    # a gripper behind an action has no topic to record (its joint is in the joint states)
    for interface in ('none', 'gripper_action'):
        topics = recorded_topics({**params, 'gripper_interface': interface}, {})
        assert '/gripper_controller/commands' not in topics and topics[-1] == '/tf'
    # the interface's usual topic when none is given
    topics = recorded_topics(
        {**params, 'gripper_interface': 'joint_trajectory', 'gripper_topic': ''}, {}
    )
    assert '/gripper_controller/joint_trajectory' in topics


def test_joint_configs_record_as_before():
    params = policy_section(document('sim.yaml'))
    assert recorded_topics(params, {}) == (
        '/camera/top/image_raw',
        '/joint_states',
        '/joint_trajectory_controller/joint_trajectory',
    )


def metaworld_plan(**kwargs):
    doc = document('metaworld.yaml')
    hardware = DeployArgs(robot='metaworld', task=kwargs.pop('task', 'push-wall-v3'))
    args = RecordArgs(hardware, output_dir='/data/demos', **kwargs)
    return plan_record(
        args,
        policy_section(doc),
        ['episode_000004'],
        robot_parameters=node_section(doc, 'metaworld_robot'),
    )


def test_metaworld_records_one_training_scene_driven_by_its_expert_through_the_topics():
    plan = metaworld_plan(expert='two_way', side='right')
    assert plan.bag_path == '/data/demos/episode_000005'
    assert plan.topics == ('/camera/corner3/image_raw', *EE_TOPICS[1:])
    assert [n.executable for n in plan.nodes] == ['metaworld_robot_node', 'metaworld_teleop_node']
    robot = plan.node('metaworld_robot').overrides
    # scene 5 (the episode number), one scene per bag, no policy to reset
    assert robot == {
        'task': 'push-wall-v3',
        'seed': 5,
        'reset_on_done': False,
        'policy_reset_service': '',
    }
    teleop = plan.node('metaworld_teleop').overrides
    assert teleop == {
        'side': 'right',
        'seed': 5,
        'expert': 'two_way',
        'target_topic': '/cartesian_motion_controller/target_frame',
        'gripper_topic': '/gripper_controller/commands',
        'base_frame': 'world',
        'joint_state_topic': '/joint_states',
        'ee_pose_topic': '/ee_pose',
    }
    assert plan.end_with == 'metaworld_teleop'


def test_metaworld_recording_refuses_evaluation_scenes_and_sides_the_shipped_expert_lacks():
    with pytest.raises(PlanError, match='evaluation scene'):
        metaworld_plan(seed=100_003)
    with pytest.raises(PlanError, match='shipped experts take one way'):
        metaworld_plan(side='left')
    with pytest.raises(PlanError, match='robot:=metaworld'):
        sim_plan_args = RecordArgs(DeployArgs(config='sim_ee.yaml'), expert='two_way')
        plan_record(sim_plan_args, policy_section(document('sim_ee.yaml')), [])
    doc = document('metaworld.yaml')
    joints = {**policy_section(doc), 'command_interface': 'joint_trajectory'}
    with pytest.raises(PlanError, match='command_interface pose or twist'):
        plan_record(RecordArgs(DeployArgs(robot='metaworld')), joints, [])
