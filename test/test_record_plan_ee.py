# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
record_demos.launch.py's plan for end-effector configs.

What is recorded for a pose or twist config, and how the scripted teleoperator is told to
send pose targets and gripper commands with robot:=sim (config/sim_ee.yaml).
"""

from pathlib import Path

from imle_policy_ros.ros.launch_plan import DeployArgs
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
