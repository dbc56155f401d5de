# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The policy node's parameter table and checks, the command layout, the config files.

The command layout is the joint order and limits; the config files are those `run` reads.
ROS-free except the sim_robot table check.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from controller_harness import make_spec
from imle_policy_ros.ros.command_layout import CommandLayout, joint_limits
from imle_policy_ros.ros.command_outputs import COMMAND_OUTPUTS
from imle_policy_ros.ros.policy_parameters import ParameterProblem, PolicyNodeConfig
from imle_policy_ros.ros.run import NODE_FACTORIES, nodes_in_config
from imle_policy_ros.runtime.normalization import MinMaxStats
from imle_policy_ros.runtime.policy_spec import PolicySpec
from imle_policy_ros.settings import flat_fields, flat_values, problem_with
import numpy as np
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SIM_YAML = REPO / 'config' / 'sim.yaml'
REQUIRED = {'model_path': 'models/reach_default', 'velocity_limits': [1.0]}


def config(**values) -> PolicyNodeConfig:
    return PolicyNodeConfig.from_values({**REQUIRED, **values})


def problem_of(**values) -> str:
    with pytest.raises(ParameterProblem) as info:
        config(**values)
    return str(info.value)


# ---- the settings ---------------------------------------------------------------------
PARAMETERS = flat_fields(PolicyNodeConfig)  # what the node declares, by name


def check_value(name: str, value) -> str | None:
    return problem_with(name, value, PARAMETERS[name].info)


def test_every_range_has_both_ends_and_contains_the_default():
    for name, p in PARAMETERS.items():
        info = p.info
        if info.min is None or p.default in (None, ()):
            continue
        assert info.max is not None and info.min < info.max, name
        assert info.min <= p.default <= info.max, name


def test_live_parameters_are_exactly_the_runtime_settable_ones():
    assert {name for name, p in PARAMETERS.items() if p.info.live} == {
        'model_path',
        'num_samples',
        'temporal_consistency',
        'consistency_reset_every',
        'stale_observation_timeout',
        'shadow_mode',
    }


def test_the_controller_settings_are_the_controllers_own():
    """Each controller parameter sets the ControllerConfig field of the same name."""
    cfg = config(num_samples=8, stale_observation_timeout=0.25, blend_time=0.05)
    assert cfg.controller.num_samples == 8
    assert cfg.controller.stale_observation_timeout == 0.25
    assert cfg.controller.blend_time == 0.05
    assert PARAMETERS['num_samples'].path == ('controller',)
    assert PARAMETERS['providers'].path == ('inference',)


# ---- from_values -------------------------------------------------------------------------
def test_defaults_fill_missing_values():
    values = flat_values(config())
    for name, p in PARAMETERS.items():
        if name not in REQUIRED:
            assert values[name] == p.default, name
    cfg = config()
    assert cfg.model_path == 'models/reach_default'
    assert cfg.velocity_limits == (1.0,)
    assert cfg.joint_names == () and cfg.position_lower_limits == ()
    assert cfg.inference.inference_threads == 2  # the node's own default, not offline's 0


def test_given_values_override_defaults_and_lists_become_tuples():
    cfg = config(
        num_samples=8, providers=['cuda', 'cpu'], joint_names=['b', 'a'], shadow_mode=False
    )
    assert cfg.controller.num_samples == 8
    assert cfg.inference.providers == ('cuda', 'cpu')
    assert cfg.joint_names == ('b', 'a')
    assert cfg.controller.shadow_mode is False


def test_every_problem_of_the_node_settings_is_listed_in_one_exception():
    with pytest.raises(ParameterProblem) as info:
        PolicyNodeConfig.from_values(
            {'command_interface': 'bogus', 'command_topic': '', 'control_rate_hz': 0.0}
        )
    message = str(info.value)
    for expected in (
        'model_path',
        'command_interface',
        'command_topic',
        'control_rate_hz',
        'velocity_limits',
    ):
        assert expected in message, expected
    assert message.count(';') >= 4


@pytest.mark.parametrize(
    'values, named',
    [({'num_samples': 0}, 'num_samples'), ({'providers': []}, 'providers')],
)
def test_a_bad_value_of_a_held_config_is_named(values, named):
    assert named in problem_of(**values)


def test_empty_model_path_refused():
    assert 'model_path is empty' in problem_of(model_path='  ')


def test_unknown_command_interface_refused():
    message = problem_of(command_interface='effort')
    assert "'effort'" in message and 'joint_trajectory' in message


@pytest.mark.parametrize('interface', ['pose', 'twist'])
def test_cartesian_interfaces_need_the_measured_pose_and_a_workspace(interface):
    """The rest of the end-effector parameters: test_ee_node_parameters.py."""
    assert COMMAND_OUTPUTS[interface].action_kind == 'ee_pose'
    message = problem_of(command_interface=interface)
    assert 'ee_pose_topic' in message and 'workspace_lower' in message and interface in message


@pytest.mark.parametrize('interface', ['joint_trajectory', 'forward_position'])
def test_joint_interfaces_accepted(interface):
    assert interface in COMMAND_OUTPUTS
    assert config(command_interface=interface).command_interface == interface


def test_velocity_limits_required():
    with pytest.raises(ParameterProblem, match='velocity_limits is required'):
        PolicyNodeConfig.from_values({'model_path': 'm'})
    assert 'velocity_limits is required' in problem_of(velocity_limits=[])


@pytest.mark.parametrize('bad', [[1.0, -0.5], [0.0], [float('inf')], [float('nan')]])
def test_velocity_limits_must_be_positive_and_finite(bad):
    assert 'positive and finite' in problem_of(velocity_limits=bad)


@pytest.mark.parametrize('value', [0, 1025])
def test_num_samples_out_of_range_refused(value):
    message = problem_of(num_samples=value)
    assert f'num_samples={value}' in message and '[1, 1024]' in message


@pytest.mark.parametrize('value', [1, 1024])
def test_num_samples_range_ends_accepted(value):
    assert config(num_samples=value).controller.num_samples == value


def test_check_value_on_single_values():
    assert check_value('stale_observation_timeout', 0.5) is None
    assert 'stale_observation_timeout' in check_value('stale_observation_timeout', 0.001)
    assert check_value('consistency_reset_every', 0) is None
    assert check_value('image_topics', ('/a', ' ')) is not None
    assert check_value('image_topics', ()) is not None
    assert check_value('command_topic', '') is not None
    assert check_value('joint_state_topic', '/joint_states') is None


# ---- command layout --------------------------------------------------------------------------
def test_layout_defaults_to_the_bundle_action_order():
    layout = CommandLayout.create((), make_spec())
    assert layout.joint_names == ('a', 'b')
    np.testing.assert_array_equal(layout.to_command_order(np.array([1.0, 2.0])), [1.0, 2.0])


def test_layout_permutes_actions_into_the_controller_order():
    spec = make_spec()
    layout = CommandLayout.create(('b', 'a'), spec)
    assert layout.joint_names == ('b', 'a')
    np.testing.assert_array_equal(layout.to_command_order(np.array([1.0, 2.0])), [2.0, 1.0])
    chunk = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # [T, A] in action order
    np.testing.assert_array_equal(layout.to_command_order(chunk), chunk[:, ::-1])


def test_layout_three_joints_permutation():
    spec = dataclasses.replace(
        make_spec(), action_names=('x', 'y', 'z'), state_names=('x', 'y', 'z')
    )
    layout = CommandLayout.create(('z', 'x', 'y'), spec)
    command = layout.to_command_order(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(command, [30.0, 10.0, 20.0])


@pytest.mark.parametrize('names', [('a', 'c'), ('a',), ('a', 'b', 'c'), ('a', 'a')])
def test_layout_refuses_joint_names_that_are_not_the_bundle_actions(names):
    with pytest.raises(ParameterProblem, match='joint_names'):
        CommandLayout.create(names, make_spec())


def test_limits_given_in_controller_order_end_up_in_action_order():
    spec = make_spec()
    cfg = config(
        joint_names=['b', 'a'],
        position_lower_limits=[-1.0, -3.0],
        position_upper_limits=[1.0, 3.0],
        velocity_limits=[0.5, 2.0],
    )
    limits = joint_limits(cfg, CommandLayout.create(cfg.joint_names, spec), spec)
    # action order is (a, b): a got the second value of each list
    np.testing.assert_array_equal(limits.lower, [-3.0, -1.0])
    np.testing.assert_array_equal(limits.upper, [3.0, 1.0])
    np.testing.assert_array_equal(limits.velocity, [2.0, 0.5])


def test_one_velocity_value_is_broadcast_to_every_joint():
    spec = make_spec()
    cfg = config(velocity_limits=[1.25])
    limits = joint_limits(cfg, CommandLayout.create((), spec), spec)
    np.testing.assert_array_equal(limits.velocity, [1.25, 1.25])


def test_position_limits_default_to_the_action_range_widened_by_the_margin():
    stats = MinMaxStats(np.array([-1.0, 0.5], np.float32), np.array([0.25, 2.0], np.float32))
    spec = dataclasses.replace(make_spec(), action_stats=stats)  # state_stats stay +-2: not used
    cfg = config(position_limit_margin=0.2)
    limits = joint_limits(cfg, CommandLayout.create(('b', 'a'), spec), spec)
    np.testing.assert_allclose(limits.lower, [-1.2, 0.3])
    np.testing.assert_allclose(limits.upper, [0.45, 2.2])


@pytest.mark.parametrize(
    'given', [{'position_lower_limits': [-1.0, -1.0]}, {'position_upper_limits': [1.0, 1.0]}]
)
def test_only_one_of_lower_and_upper_refused(given):
    spec = make_spec()
    cfg = config(**given)
    with pytest.raises(
        ParameterProblem, match='both position_lower_limits and position_upper_limits'
    ):
        joint_limits(cfg, CommandLayout.create((), spec), spec)


def test_wrong_number_of_limit_values_refused():
    spec = make_spec()
    layout = CommandLayout.create((), spec)
    with pytest.raises(ParameterProblem, match='velocity_limits has 3 values'):
        joint_limits(config(velocity_limits=[1.0, 1.0, 1.0]), layout, spec)
    with pytest.raises(ParameterProblem, match='position_upper_limits has 3 values'):
        joint_limits(
            config(position_lower_limits=[-1.0, -1.0], position_upper_limits=[1.0, 1.0, 1.0]),
            layout,
            spec,
        )


def test_lower_not_below_upper_refused_as_a_parameter_problem():
    spec = make_spec()
    cfg = config(position_lower_limits=[0.0, 1.0], position_upper_limits=[1.0, 1.0])
    with pytest.raises(ParameterProblem, match='lower limit must be below'):
        joint_limits(cfg, CommandLayout.create((), spec), spec)


# ---- config files (what `run` and the launch file read) -------------------------------------
def sim_section(node: str) -> dict:
    return yaml.safe_load(SIM_YAML.read_text())[node]['ros__parameters']


def test_sim_config_names_the_policy_and_the_simulator():
    assert nodes_in_config(SIM_YAML) == ['imle_policy', 'sim_robot']


def test_node_names_with_a_leading_slash_and_wildcard_section(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text(
        '/**:\n  ros__parameters: {use_sim_time: false}\n'
        '/imle_policy:\n  ros__parameters: {num_samples: 4}\n'
    )
    assert nodes_in_config(path) == ['imle_policy']


def test_unknown_node_names_refused_naming_them(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text(
        'imle_policy:\n  ros__parameters: {}\nmy_arm:\n  ros__parameters: {}\n'
        'camera2:\n  ros__parameters: {}\n'
    )
    with pytest.raises(ValueError) as info:
        nodes_in_config(path)
    listed = str(info.value).split('unknown node(s) ')[1].split(';')[0]
    assert listed == "['my_arm', 'camera2']"


@pytest.mark.parametrize('text', ['', '# only a comment\n', '/**:\n  ros__parameters: {}\n'])
def test_config_without_nodes_refused(tmp_path, text):
    path = tmp_path / 'c.yaml'
    path.write_text(text)
    with pytest.raises(ValueError, match='names no node'):
        nodes_in_config(path)


def test_config_that_is_not_a_mapping_refused(tmp_path):
    path = tmp_path / 'c.yaml'
    path.write_text('- imle_policy\n- sim_robot\n')
    with pytest.raises(ValueError, match='top-level keys'):
        nodes_in_config(path)


def test_sim_config_policy_keys_are_all_parameters():
    unknown = set(sim_section('imle_policy')) - set(PARAMETERS)
    assert not unknown, f'config/sim.yaml sets {unknown}, which the policy node does not declare'


def test_sim_config_policy_section_is_a_valid_config():
    cfg = PolicyNodeConfig.from_values(sim_section('imle_policy'))
    assert cfg.model_path == 'models/reach_default'
    assert cfg.joint_names == ('shoulder', 'elbow')


def test_sim_config_fits_the_bundled_model():
    section = sim_section('imle_policy')
    cfg = PolicyNodeConfig.from_values(section)
    spec = PolicySpec.read(REPO / section['model_path'])
    layout = CommandLayout.create(cfg.joint_names, spec)
    limits = joint_limits(cfg, layout, spec)
    assert limits.velocity.shape == (spec.action_dim,)
    # the demonstrations stayed within the arm's limits
    assert limits.contains(np.asarray(spec.action_stats.min)) and limits.contains(
        np.asarray(spec.action_stats.max)
    )


def test_sim_config_sim_robot_keys_are_all_parameters():
    pytest.importorskip('rclpy')
    from imle_policy_ros.ros.node_parameters import parameter_fields
    from imle_policy_ros.ros.sim_robot_node import SimRobotConfig

    unknown = set(sim_section('sim_robot')) - set(parameter_fields(SimRobotConfig))
    assert not unknown, f'config/sim.yaml sets {unknown}, which sim_robot does not declare'


def test_every_node_factory_names_an_existing_module():
    for module, cls in NODE_FACTORIES.values():
        path = REPO / (module.replace('.', '/') + '.py')
        assert path.is_file(), module
        assert f'class {cls}(' in path.read_text(), (module, cls)
