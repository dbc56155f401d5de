# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What `deploy.launch.py` starts for each `robot:=` choice, as plain data.

(`record_demos.launch.py` plans the same hardware: ros/record_plan.py.)

The decisions (which driver launch file with which arguments, which camera, which nodes
with which parameter files and overrides) are made here, by a function tests call for
every choice; the launch file only translates the plan into launch_ros actions. No
launch import here: launch is not installable from pip.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from ..errors import Refusal
from ..resources import resolve_config_path

ROBOTS = ('sim', 'metaworld', 'ur', 'franka', 'custom')
SIMULATED = ('sim', 'metaworld')  # robots whose node renders its own cameras
CAMERAS = ('auto', 'sim', 'realsense', 'none')
PACKAGE = 'imle_policy_ros'
REALSENSE_TOPIC = (
    '/camera/camera/color/image_raw'  # realsense2_camera >= 4.55 (namespace/name camera)
)
UR_SCALED_TOPIC = '/scaled_joint_trajectory_controller/joint_trajectory'
UR_MOCK_TOPIC = '/joint_trajectory_controller/joint_trajectory'

HARDWARE_ARGUMENTS = {  # name: (default, description); both launch files take these
    'robot': ('sim', 'sim | metaworld | ur | franka | custom'),
    'camera': (
        'auto',
        'auto | sim | realsense | none (auto: sim for robot:=sim|metaworld, else realsense)',
    ),
    'task': ('', "robot:=metaworld: the Meta-World task (default: the config's)"),
    'config': ('', 'parameters file (default: config/<robot>.yaml)'),
    'ur_type': ('ur5e', 'robot:=ur: ur3e, ur5e, ur10e, ...'),
    'robot_ip': ('', "robot:=ur|franka: the arm's address"),
    'use_mock_hardware': (
        'false',
        'robot:=ur|franka: ros2_control mock hardware instead of the arm',
    ),
    'robot_launch': ('', "robot:=custom: your arm's launch file"),
}


class PlanError(Refusal, ValueError):
    """Launch arguments that do not make a runnable stack; the message says what to change."""


@dataclass(frozen=True)
class DeployArgs:
    robot: str = 'sim'
    camera: str = 'auto'  # auto: sim's own camera for robot:=sim, realsense otherwise
    model: str = ''  # model bundle; empty: the config's model_path
    config: str = ''  # parameters file; empty: config/<robot>.yaml
    autostart: str = ''  # "", "true" or "false": overrides the config
    ur_type: str = 'ur5e'
    robot_ip: str = ''
    use_mock_hardware: bool = False
    robot_launch: str = ''  # robot:=custom: the arm's launch file (a path)
    task: str = ''  # robot:=metaworld: the task; empty: the config's
    ros_distro: str = 'jazzy'


@dataclass(frozen=True)
class IncludeSpec:
    """A launch file to include: `package`'s share/launch/<file>, or `path` when given."""

    launch_file: str
    package: str = ''
    path: str = ''
    arguments: dict = field(default_factory=dict)


@dataclass(frozen=True)
class NodeSpec:
    executable: str
    name: str
    namespace: str = ''
    package: str = PACKAGE
    parameter_files: tuple = ()  # config names or paths, resolved by the launch file
    overrides: dict = field(default_factory=dict)  # parameters set on top of the files


@dataclass(frozen=True)
class DeployPlan:
    includes: tuple
    nodes: tuple

    def node(self, name: str) -> NodeSpec:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


@dataclass(frozen=True)
class HardwarePlan:
    """The arm driver and camera for a robot choice, and the topics they change."""

    includes: tuple
    nodes: tuple
    topic_overrides: dict  # policy parameters (command_topic, image_topics) the hardware fixes


def plan_hardware(args: DeployArgs, package_installed=lambda name: False) -> HardwarePlan:
    """
    Plan what both launch files start for `robot:=` and `camera:=`.

    That is the arm's driver (or the simulator) and the camera. package_installed(name):
    whether a ROS package is in the ament index (the launch file asks the index; tests pass
    what they want).
    """
    if args.robot not in ROBOTS:
        raise PlanError(f'robot:={args.robot} is not one of {", ".join(ROBOTS)}')
    if args.camera not in CAMERAS:
        raise PlanError(f'camera:={args.camera} is not one of {", ".join(CAMERAS)}')
    camera = (
        args.camera
        if args.camera != 'auto'
        else ('sim' if args.robot in SIMULATED else 'realsense')
    )
    if args.task and args.robot != 'metaworld':
        raise PlanError(f'task:={args.task} is a Meta-World task: it needs robot:=metaworld')
    if camera == 'sim' and args.robot not in SIMULATED:
        raise PlanError(
            "camera:=sim is the simulator's camera; with a real arm use camera:=realsense or "
            'camera:=none (your own camera driver)'
        )
    driver = {
        'ur': ('ur_robot_driver', f'sudo apt install ros-{args.ros_distro}-ur-robot-driver'),
        'franka': (
            'franka_bringup',
            'build franka_ros2 in your workspace (github.com/frankaemika/franka_ros2)',
        ),
    }
    if args.robot in driver and not package_installed(driver[args.robot][0]):
        package, how = driver[args.robot]
        raise PlanError(
            f'robot:={args.robot} includes {package}, which is not installed: '
            f'{how}, then source it'
        )
    includes, nodes, topics = [], [], {}
    if args.robot == 'sim':
        nodes.append(NodeSpec('sim_robot_node', 'sim_robot', parameter_files=(config_name(args),)))
    elif args.robot == 'metaworld':
        nodes.append(
            NodeSpec(
                'metaworld_robot_node',
                'metaworld_robot',
                parameter_files=(config_name(args),),
                overrides={'task': args.task} if args.task else {},
            )
        )
    elif args.robot == 'ur':
        includes.append(_ur_driver(args))
        # The scaled controller needs the real robot's speed scaling; a config that commands
        # another controller (pose, twist: MoveIt Servo) keeps its own topic.
        if args.use_mock_hardware and _policy_command_topic(args) in (None, UR_SCALED_TOPIC):
            topics['command_topic'] = UR_MOCK_TOPIC
    elif args.robot == 'franka':
        if not args.robot_ip and not args.use_mock_hardware:
            raise PlanError('robot:=franka needs robot_ip:=ADDRESS (or use_mock_hardware:=true)')
        includes.append(
            IncludeSpec(
                'franka.launch.py',
                package='franka_bringup',
                arguments={
                    'robot_ip': args.robot_ip or 'dont-care',
                    'use_fake_hardware': _bool(args.use_mock_hardware),
                    'load_gripper': 'false',
                    'use_rviz': 'false',
                },
            )
        )
    else:
        if not args.robot_launch:
            raise PlanError(
                'robot:=custom needs robot_launch:=/path/to/your_arm.launch.py '
                'and config:=your.yaml'
            )
        if not args.config:
            raise PlanError(
                'robot:=custom needs config:=your.yaml (start from config/custom.yaml)'
            )
        includes.append(IncludeSpec(args.robot_launch.rsplit('/', 1)[-1], path=args.robot_launch))

    if camera == 'realsense':
        if package_installed('realsense2_camera'):
            includes.append(
                IncludeSpec(
                    'rs_launch.py',
                    package='realsense2_camera',
                    arguments={
                        'camera_namespace': 'camera',
                        'camera_name': 'camera',
                        'rgb_camera.color_profile': '640,480,30',
                    },
                )
            )
        else:  # this package's own driver, publishing on the same topic
            nodes.append(NodeSpec('realsense_node', 'camera', namespace='camera'))
        topics['image_topics'] = [REALSENSE_TOPIC]
    return HardwarePlan(tuple(includes), tuple(nodes), topics)


def config_name(args: DeployArgs) -> str:
    """Return the parameters file: the one given, else config/<robot>.yaml."""
    return args.config or f'{args.robot}.yaml'


def _policy_command_topic(args: DeployArgs) -> str | None:
    """Return the policy's command_topic in the config (None: no such file or setting)."""
    try:
        document = yaml.safe_load(resolve_config_path(config_name(args)).read_text()) or {}
    except FileNotFoundError:
        return None
    for name in ('imle_policy', '/imle_policy'):
        section = document.get(name) if isinstance(document, dict) else None
        if isinstance(section, dict):
            return (section.get('ros__parameters') or {}).get('command_topic')
    return None


def plan_deploy(args: DeployArgs, package_installed=lambda name: False) -> DeployPlan:
    """Plan the hardware, then the policy node with the config and the launch arguments on top."""
    if args.robot in ROBOTS and args.robot not in SIMULATED and not args.model and not args.config:
        raise PlanError(
            f"robot:={args.robot} needs model:=PATH: the bundled model drives the simulator's "
            f'2-joint arm, not yours'
        )
    hardware = plan_hardware(args, package_installed)
    policy_overrides = dict(hardware.topic_overrides)
    if args.model:
        policy_overrides['model_path'] = args.model
    if args.autostart:
        if args.autostart not in ('true', 'false'):
            raise PlanError(f'autostart:={args.autostart} must be true or false')
        policy_overrides['autostart'] = args.autostart == 'true'
    policy = NodeSpec(
        'policy_node',
        'imle_policy',
        parameter_files=(config_name(args),),
        overrides=policy_overrides,
    )
    return DeployPlan(hardware.includes, hardware.nodes + (policy,))


def _ur_driver(args: DeployArgs) -> IncludeSpec:
    if not args.robot_ip and not args.use_mock_hardware:
        raise PlanError('robot:=ur needs robot_ip:=ADDRESS (or use_mock_hardware:=true)')
    # The mock-hardware argument was renamed between Humble and Jazzy.
    mock_argument = (
        'use_fake_hardware' if args.ros_distro in ('humble', 'iron') else 'use_mock_hardware'
    )
    return IncludeSpec(
        'ur_control.launch.py',
        package='ur_robot_driver',
        arguments={
            'ur_type': args.ur_type,
            'robot_ip': args.robot_ip or '0.0.0.0',
            mock_argument: _bool(args.use_mock_hardware),
            'launch_rviz': 'false',
            'initial_joint_controller': (
                'joint_trajectory_controller'
                if args.use_mock_hardware
                else 'scaled_joint_trajectory_controller'
            ),
        },
    )


def _bool(value: bool) -> str:
    return 'true' if value else 'false'
