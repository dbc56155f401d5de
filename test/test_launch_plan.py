# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The launch plan for every robot choice, and the shipped configs.

The launch file compiles and uses the plan, and every shipped config parses into a valid
policy configuration.
"""

import ast
from pathlib import Path

from imle_policy_ros.ros.launch_plan import (
    DeployArgs,
    HARDWARE_ARGUMENTS,
    plan_deploy,
    PlanError,
    REALSENSE_TOPIC,
)
from imle_policy_ros.ros.policy_parameters import PolicyNodeConfig
from imle_policy_ros.settings import flat_fields
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DRIVERS = ('ur_robot_driver', 'franka_bringup')


def everything_but_realsense(name):
    return name in DRIVERS


def make_plan(args, installed=everything_but_realsense):
    return plan_deploy(args, installed)


def test_sim_runs_the_simulator_and_the_bundled_model_with_nothing_else():
    plan = plan_deploy(DeployArgs())
    assert plan.includes == ()
    assert [n.executable for n in plan.nodes] == ['sim_robot_node', 'policy_node']
    assert plan.node('imle_policy').parameter_files == ('sim.yaml',)
    assert plan.node('sim_robot').parameter_files == ('sim.yaml',)
    assert plan.node('imle_policy').overrides == {}


@pytest.mark.parametrize('config', ['sim_ee.yaml', 'sim_ee_twist.yaml'])
def test_sim_with_an_end_effector_config_runs_the_bundled_end_effector_model(config):
    plan = plan_deploy(DeployArgs(config=config))
    assert [n.executable for n in plan.nodes] == ['sim_robot_node', 'policy_node']
    assert plan.node('sim_robot').parameter_files == (config,)
    params = yaml.safe_load((REPO / 'config' / config).read_text())['imle_policy']
    assert params['ros__parameters']['model_path'].endswith('models/reach_grasp_ee')
    assert params['ros__parameters']['command_interface'] in ('pose', 'twist')
    assert (REPO / 'models' / 'reach_grasp_ee' / 'policy.json').is_file()


def test_sim_with_a_model_and_autostart_overrides_the_config():
    plan = plan_deploy(DeployArgs(model='/models/x', autostart='false'))
    assert plan.node('imle_policy').overrides == {'model_path': '/models/x', 'autostart': False}


@pytest.mark.parametrize(
    'distro, mock_argument', [('jazzy', 'use_mock_hardware'), ('humble', 'use_fake_hardware')]
)
def test_ur_includes_the_driver_with_the_distro_s_mock_argument(distro, mock_argument):
    plan = make_plan(DeployArgs(robot='ur', model='/m', use_mock_hardware=True, ros_distro=distro))
    driver = plan.includes[0]
    assert (driver.package, driver.launch_file) == ('ur_robot_driver', 'ur_control.launch.py')
    assert driver.arguments[mock_argument] == 'true' and driver.arguments['ur_type'] == 'ur5e'
    assert driver.arguments['initial_joint_controller'] == 'joint_trajectory_controller'
    policy = plan.node('imle_policy')
    assert policy.parameter_files == ('ur.yaml',)
    assert policy.overrides['command_topic'] == '/joint_trajectory_controller/joint_trajectory'


def test_ur_on_the_real_arm_uses_the_scaled_controller_from_the_config():
    plan = make_plan(DeployArgs(robot='ur', model='/m', robot_ip='192.168.1.10'))
    assert plan.includes[0].arguments['robot_ip'] == '192.168.1.10'
    assert (
        plan.includes[0].arguments['initial_joint_controller']
        == 'scaled_joint_trajectory_controller'
    )
    assert 'command_topic' not in plan.node('imle_policy').overrides
    config = yaml.safe_load((REPO / 'config' / 'ur.yaml').read_text())['imle_policy'][
        'ros__parameters'
    ]
    assert config['command_topic'] == '/scaled_joint_trajectory_controller/joint_trajectory'


def test_franka_includes_its_bringup():
    plan = make_plan(DeployArgs(robot='franka', model='/m', robot_ip='172.16.0.2'))
    bringup = plan.includes[0]
    assert (bringup.package, bringup.launch_file) == ('franka_bringup', 'franka.launch.py')
    assert (
        bringup.arguments['robot_ip'] == '172.16.0.2'
        and bringup.arguments['use_fake_hardware'] == 'false'
    )
    assert plan.node('imle_policy').parameter_files == ('franka.yaml',)


def test_custom_includes_the_user_s_launch_file_and_config():
    plan = plan_deploy(
        DeployArgs(
            robot='custom',
            model='/m',
            robot_launch='/ws/arm.launch.py',
            config='/ws/arm.yaml',
            camera='none',
        )
    )
    assert plan.includes[0].path == '/ws/arm.launch.py'
    assert plan.node('imle_policy').parameter_files == ('/ws/arm.yaml',)
    assert [n.executable for n in plan.nodes] == ['policy_node']


def test_realsense_uses_realsense2_camera_when_installed_else_the_own_node_on_the_same_topic():
    with_driver = make_plan(
        DeployArgs(robot='ur', model='/m', use_mock_hardware=True), installed=lambda name: True
    )
    assert [i.package for i in with_driver.includes] == ['ur_robot_driver', 'realsense2_camera']
    without = make_plan(DeployArgs(robot='ur', model='/m', use_mock_hardware=True))
    camera = without.node('camera')
    assert (camera.executable, camera.namespace) == (
        'realsense_node',
        'camera',
    )  # -> /camera/camera/...
    for plan in (with_driver, without):
        assert plan.node('imle_policy').overrides['image_topics'] == [REALSENSE_TOPIC]


@pytest.mark.parametrize(
    'args, reason',
    [
        (DeployArgs(robot='kuka'), 'robot:=kuka'),
        (DeployArgs(camera='kinect'), 'camera:=kinect'),
        (DeployArgs(robot='ur', use_mock_hardware=True), 'model:=PATH'),
        (DeployArgs(robot='ur', model='/m'), 'robot_ip'),
        (DeployArgs(robot='franka', model='/m'), 'robot_ip'),
        (DeployArgs(robot='ur', model='/m', use_mock_hardware=True, camera='sim'), 'camera:=sim'),
        (DeployArgs(robot='custom', model='/m', config='/c.yaml'), 'robot_launch'),
        (DeployArgs(robot='custom', model='/m', robot_launch='/a.launch.py'), 'config:='),
        (DeployArgs(autostart='yes'), 'autostart'),
    ],
)
def test_unrunnable_arguments_are_refused_with_what_to_change(args, reason):
    with pytest.raises(PlanError, match=reason.replace('(', r'\(')):
        make_plan(args)


@pytest.mark.parametrize(
    'robot, package, how',
    [
        ('ur', 'ur_robot_driver', 'apt install ros-jazzy-ur-robot-driver'),
        ('franka', 'franka_bringup', 'franka_ros2'),
    ],
)
def test_a_missing_driver_is_named_with_how_to_get_it(robot, package, how):
    with pytest.raises(PlanError, match=f'{package}, which is not installed.*{how}'):
        plan_deploy(
            DeployArgs(robot=robot, model='/m', use_mock_hardware=True), lambda name: False
        )


@pytest.mark.parametrize(
    'launch_file', sorted((REPO / 'launch').glob('*.launch.py')), ids=lambda p: p.name
)
def test_launch_files_compile_and_define_a_launch_description(launch_file):
    source = launch_file.read_text()
    tree = ast.parse(source, filename=str(launch_file))
    compile(tree, str(launch_file), 'exec')
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert 'generate_launch_description' in functions


def test_deploy_launch_file_takes_its_decisions_from_the_plan():
    source = (REPO / 'launch' / 'deploy.launch.py').read_text()
    assert 'plan_deploy(' in source
    # every DeployArgs field is a launch argument
    tree = ast.parse(source)
    assert declared_arguments(tree) == set(DeployArgs.__dataclass_fields__) - {'ros_distro'}


def declared_arguments(tree) -> set:
    """List the launch arguments a launch file's ARGUMENTS dict declares (with the shared ones)."""
    arguments = next(
        n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == 'ARGUMENTS'
    )
    declared = set()
    for key, value in zip(arguments.value.keys, arguments.value.values):
        if key is None:  # **HARDWARE_ARGUMENTS
            assert isinstance(value, ast.Name) and value.id == 'HARDWARE_ARGUMENTS'
            declared |= set(HARDWARE_ARGUMENTS)
        else:
            declared.add(key.value)
    return declared


@pytest.mark.parametrize('config', sorted((REPO / 'config').glob('*.yaml')), ids=lambda p: p.name)
def test_every_shipped_config_is_a_valid_policy_configuration(config):
    document = yaml.safe_load(config.read_text())
    params = document['imle_policy']['ros__parameters']
    unknown = set(params) - set(flat_fields(PolicyNodeConfig))
    assert not unknown, f'{config.name}: unknown parameters {unknown}'
    PolicyNodeConfig.from_values({'model_path': 'placeholder', **params})


def test_metaworld_runs_its_robot_node_with_the_task_given_and_the_bundled_model():
    plan = plan_deploy(DeployArgs(robot='metaworld', task='push-wall-v3'))
    assert plan.includes == ()
    assert [n.executable for n in plan.nodes] == ['metaworld_robot_node', 'policy_node']
    assert plan.node('metaworld_robot').parameter_files == ('metaworld.yaml',)
    assert plan.node('metaworld_robot').overrides == {'task': 'push-wall-v3'}
    assert plan.node('imle_policy').overrides == {}  # the config's model
    assert plan_deploy(DeployArgs(robot='metaworld')).node('metaworld_robot').overrides == {}
    params = yaml.safe_load((REPO / 'config' / 'metaworld.yaml').read_text())['imle_policy']
    model = REPO / params['ros__parameters']['model_path']
    assert (model / 'policy.json').is_file() and 'button-press-topdown' in (
        model / 'README.md'
    ).read_text()


def test_a_task_for_another_robot_is_refused():
    with pytest.raises(PlanError, match='task:=push-v3 is a Meta-World task'):
        plan_deploy(DeployArgs(task='push-v3'))
