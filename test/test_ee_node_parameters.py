# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The policy node's end-effector and gripper parameters, and whether they fit a bundle.

ROS-free: the config checks (what pose and twist require), the checks against a bundle
(its action kind, base frame, gripper) that the node makes at start and for a model
switch, the pose layout and the Cartesian limits, and the shipped end-effector configs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from controller_harness import make_ee_spec
from controller_harness import make_spec as joint_spec
from imle_policy_ros.control.cartesian_executor import CartesianLimits
from imle_policy_ros.ros.command_layout import (
    bundle_problems,
    cartesian_limits,
    check_bundle,
    command_limits,
    CommandLayout,
    gripper_not_commanded,
    POSE_NAMES,
)
from imle_policy_ros.ros.command_outputs import COMMAND_OUTPUTS, interfaces_for
from imle_policy_ros.ros.gripper_outputs import GRIPPER_INTERFACES, GripperActionOutput
from imle_policy_ros.ros.policy_parameters import ParameterProblem, PolicyNodeConfig
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.runtime.policy_spec import PolicySpec
from imle_policy_ros.settings import flat_fields
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
EE_CONFIGS = ('cartesian_motion_controller.yaml', 'moveit_servo.yaml')
LAYOUT = EePoseLayout(
    'base_link', 'tool0', rotation='none', gripper=GripperSpec('finger', 0.04, 0)
)
EE = {
    'model_path': 'models/m',
    'command_interface': 'pose',
    'command_topic': '/cartesian_motion_controller/target_frame',
    'ee_pose_topic': '/cartesian_motion_controller/current_pose',
    'workspace_lower': [-0.5, -0.5, 0.0],
    'workspace_upper': [0.5, 0.5, 0.8],
}


def ee_spec(layout=LAYOUT) -> PolicySpec:
    return make_ee_spec(layout)


def ee_config(**values) -> PolicyNodeConfig:
    return PolicyNodeConfig.from_values({**EE, **values})


def problem_of(**values) -> str:
    with pytest.raises(ParameterProblem) as info:
        ee_config(**values)
    return str(info.value)


# ---- the settings themselves ------------------------------------------------------------
def test_the_design_s_parameters_exist_with_their_defaults():
    fields = flat_fields(PolicyNodeConfig)
    defaults = {
        'base_frame': '',
        'ee_pose_topic': '',
        'workspace_lower': (),
        'workspace_upper': (),
        'max_linear_speed': 0.1,
        'max_angular_speed': 0.5,
        'max_tracking_error': 0.05,
        'max_tracking_angle': 0.3,
        'twist_correction_gain': 2.0,
        'gripper_interface': 'none',
        'gripper_topic': '',
        'gripper_joint': '',
    }
    for name, default in defaults.items():
        assert fields[name].default == default, name
        assert not fields[name].info.live, name  # read-only after start
    assert fields['gripper_interface'].info.choices == GRIPPER_INTERFACES
    assert GRIPPER_INTERFACES == ('none', 'forward_command', 'joint_trajectory', 'gripper_action')


def test_an_end_effector_config_needs_no_velocity_limits():
    cfg = ee_config()
    assert cfg.velocity_limits == () and cfg.workspace_upper == (0.5, 0.5, 0.8)


@pytest.mark.parametrize('interface', ['pose', 'twist'])
def test_an_empty_pose_topic_is_refused_naming_the_parameter_and_tf(interface):
    message = problem_of(command_interface=interface, ee_pose_topic=' ')
    assert 'ee_pose_topic is empty' in message and interface in message
    assert 'tf2_ros' in message and 'current_pose' in message


def test_the_workspace_is_required_and_must_be_three_finite_values():
    assert 'workspace_lower and workspace_upper are required' in problem_of(workspace_upper=[])
    assert 'workspace_lower [0.0, 1.0] must be 3 finite' in problem_of(workspace_lower=[0.0, 1.0])
    message = problem_of(workspace_upper=[1.0, float('inf'), 1.0])
    assert 'workspace_upper' in message and 'finite' in message


def test_joint_interfaces_still_require_velocity_limits():
    message = problem_of(command_interface='joint_trajectory')
    assert 'velocity_limits is required' in message and 'ee_pose_topic' not in message


@pytest.mark.parametrize(
    'values, named',
    [
        ({'max_linear_speed': 0.0}, 'max_linear_speed'),
        ({'max_angular_speed': -1.0}, 'max_angular_speed'),
        ({'max_tracking_error': 2.0}, 'max_tracking_error'),
        ({'twist_correction_gain': -0.1}, 'twist_correction_gain'),
        ({'gripper_interface': 'suction'}, 'gripper_interface'),
    ],
)
def test_bad_values_are_named(values, named):
    assert named in problem_of(**values)


def test_every_problem_is_listed_in_one_refusal():
    message = problem_of(ee_pose_topic='', workspace_lower=[], max_linear_speed=0.0)
    for named in ('ee_pose_topic', 'workspace_lower', 'max_linear_speed'):
        assert named in message, named


# ---- the parameters against a bundle (at start and for a model switch) ---------------------
def test_an_end_effector_config_fits_an_end_effector_bundle():
    assert bundle_problems(ee_config(), ee_spec()) == []
    assert bundle_problems(ee_config(command_interface='twist'), ee_spec()) == []


@pytest.mark.parametrize('interface', ['joint_trajectory', 'forward_position'])
def test_a_joint_interface_is_refused_for_an_end_effector_bundle_naming_the_fix(interface):
    cfg = ee_config(command_interface=interface, velocity_limits=[1.0])
    (problem,) = bundle_problems(cfg, ee_spec())
    assert f'command_interface {interface} executes joint_position' in problem
    assert 'predicts ee_pose' in problem and 'set command_interface to pose or twist' in problem


@pytest.mark.parametrize('interface', ['pose', 'twist'])
def test_pose_and_twist_are_refused_for_a_joint_bundle_naming_the_fix(interface):
    with pytest.raises(ParameterProblem) as info:
        check_bundle(ee_config(command_interface=interface), joint_spec())
    message = str(info.value)
    assert f'command_interface {interface} executes ee_pose' in message
    assert 'joint_trajectory or forward_position' in message
    assert interfaces_for('joint_position') == ['joint_trajectory', 'forward_position']


def test_another_base_frame_is_refused_naming_both():
    (problem,) = bundle_problems(ee_config(base_frame='world'), ee_spec())
    assert "'world'" in problem and "'base_link'" in problem
    assert bundle_problems(ee_config(base_frame='base_link'), ee_spec()) == []


def test_a_gripper_interface_for_a_bundle_without_a_gripper_is_refused():
    no_gripper = ee_spec(dataclasses.replace(LAYOUT, gripper=None))
    (problem,) = bundle_problems(ee_config(gripper_interface='forward_command'), no_gripper)
    assert 'no gripper' in problem and 'gripper_interface none' in problem
    cfg = PolicyNodeConfig.from_values(
        {'model_path': 'm', 'velocity_limits': [1.0], 'gripper_interface': 'joint_trajectory'}
    )
    assert 'no gripper' in bundle_problems(cfg, joint_spec())[0]


def test_a_gripper_nobody_commands_is_warned_about():
    warning = gripper_not_commanded(ee_config(), ee_spec())
    assert 'gripper is not commanded' in warning and 'gripper_interface' in warning
    assert gripper_not_commanded(ee_config(gripper_interface='forward_command'), ee_spec()) == ''
    no_gripper = ee_spec(dataclasses.replace(LAYOUT, gripper=None))
    assert gripper_not_commanded(ee_config(), no_gripper) == ''


def test_the_gripper_action_is_refused_where_control_msgs_does_not_import():
    problems = bundle_problems(ee_config(gripper_interface='gripper_action'), ee_spec())
    missing = GripperActionOutput.availability_problem()
    assert problems == ([missing] if missing else [])
    if missing:  # this host: no control_msgs wheel
        assert 'control_msgs' in missing and 'forward_command' in missing


# ---- pose layout and limits ---------------------------------------------------------------
def test_the_pose_layout_lists_the_pose_in_the_base_frame():
    layout = CommandLayout.create((), ee_spec(), base_frame='')
    assert layout.joint_names == POSE_NAMES and layout.frame_id == 'base_link'
    pose = np.arange(7.0)
    np.testing.assert_array_equal(layout.to_command_order(pose), pose)


def test_joint_names_for_an_end_effector_bundle_are_refused():
    with pytest.raises(ParameterProblem, match='leave joint_names empty'):
        CommandLayout.create(('j1', 'j2'), ee_spec())


def test_the_cartesian_limits_are_the_parameters():
    cfg = ee_config(max_linear_speed=0.2, max_angular_speed=0.7, max_tracking_angle=0.4)
    limits = command_limits(cfg, CommandLayout.create((), ee_spec()), ee_spec())
    assert isinstance(limits, CartesianLimits)
    np.testing.assert_array_equal(limits.workspace_lower, [-0.5, -0.5, 0.0])
    np.testing.assert_array_equal(limits.workspace_upper, [0.5, 0.5, 0.8])
    assert (limits.max_linear_speed, limits.max_angular_speed) == (0.2, 0.7)
    assert (limits.max_tracking_error, limits.max_tracking_angle) == (0.05, 0.4)


def test_a_box_upside_down_is_a_parameter_problem():
    cfg = ee_config(workspace_lower=[0.0, 0.0, 1.0], workspace_upper=[1.0, 1.0, 0.5])
    with pytest.raises(ParameterProblem, match='must be below workspace_upper'):
        cartesian_limits(cfg)


# ---- the shipped end-effector configs -----------------------------------------------------
@pytest.mark.parametrize('name', EE_CONFIGS)
def test_the_shipped_end_effector_configs_fit_an_end_effector_bundle_with_a_gripper(name):
    params = yaml.safe_load((REPO / 'config' / name).read_text())['imle_policy']['ros__parameters']
    cfg = PolicyNodeConfig.from_values({'model_path': 'placeholder', **params})
    assert COMMAND_OUTPUTS[cfg.command_interface].action_kind == 'ee_pose'
    assert cfg.gripper_interface == 'forward_command'
    assert bundle_problems(cfg, ee_spec()) == []
    limits = cartesian_limits(cfg)
    assert np.all(limits.workspace_lower < limits.workspace_upper)
