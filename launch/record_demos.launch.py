# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Record one demonstration as a rosbag2 bag (MCAP).

`ros2 launch imle_policy_ros record_demos.launch.py robot:=sim output_dir:=demos`.

Starts the arm's driver and camera as deploy.launch.py does, and `ros2 bag record` of the
policy's topics (cameras, joint states, the command topic of the config) into
`output_dir/episode_NNNNNN` (the next free number, or `episode:=NAME`). With a real arm,
teleoperate it and press Ctrl-C to end the episode. With robot:=sim the scripted expert
teleoperates (pose targets and the gripper for an end-effector config such as
config:=sim_ee.yaml), with robot:=metaworld task:=TASK config:=metaworld.yaml the task's
Meta-World expert (expert:=two_way on push-wall-v3), and the recording ends by itself when
the demonstration is done.
Then: `imle-policy-ros dataset output_dir ...` (README). Decisions: ros/record_plan.py.
"""

import os

from imle_policy_ros.resources import resolve_config_path
from imle_policy_ros.ros.launch_actions import (
    argument_values,
    declare_arguments,
    hardware_args,
    include_actions,
    node_action,
    package_installed,
)
from imle_policy_ros.ros.launch_plan import config_name, HARDWARE_ARGUMENTS
from imle_policy_ros.ros.record_plan import (
    node_section,
    plan_record,
    policy_section,
    RecordArgs,
    robot_node,
)
from launch import LaunchDescription
from launch.actions import EmitEvent, ExecuteProcess, LogInfo, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessExit
from launch.events import Shutdown
import yaml

ARGUMENTS = {
    **HARDWARE_ARGUMENTS,
    'output_dir': ('demos', 'folder of the episode bags'),
    'episode': ('', "this episode's bag name (default: the next free episode_NNNNNN)"),
    'storage': ('mcap', 'mcap | sqlite3'),
    'topics': (
        '',
        'topics to record, space-separated '
        "(default: the config's image, joint state and command topics)",
    ),
    'side': (
        'random',
        'robot:=sim, expert:=two_way: left | right | random, the way the teleoperator takes',
    ),
    'seed': ('', "robot:=sim|metaworld: the scene's seed (default: the episode number)"),
    'expert': (
        'shipped',
        "robot:=metaworld: shipped (Meta-World's own expert) | two_way (push-wall-v3 round "
        'the end of the wall side:= names)',
    ),
}


def _actions(context):
    value = argument_values(context, ARGUMENTS)
    hardware = hardware_args(value)
    with open(resolve_config_path(config_name(hardware))) as f:
        document = yaml.safe_load(f)
    output_dir = os.path.abspath(value['output_dir'])
    os.makedirs(output_dir, exist_ok=True)
    plan = plan_record(
        RecordArgs(
            hardware,
            output_dir,
            value['episode'],
            value['storage'],
            tuple(value['topics'].split()),
            value['side'],
            int(value['seed']) if value['seed'] else None,
            value['expert'],
        ),
        policy_section(document),
        sorted(os.listdir(output_dir)),
        package_installed,
        robot_parameters=node_section(document, robot_node(hardware.robot)),
    )
    nodes = {node.name: node_action(node) for node in plan.nodes}
    actions = (
        include_actions(plan.includes)
        + list(nodes.values())
        + [
            LogInfo(msg=f'recording {" ".join(plan.topics)} into {plan.bag_path}'),
            ExecuteProcess(cmd=list(plan.record_command), output='screen'),
        ]
    )
    if plan.end_with:
        actions.append(
            RegisterEventHandler(
                OnProcessExit(
                    target_action=nodes[plan.end_with],
                    on_exit=[
                        EmitEvent(
                            event=Shutdown(reason=f'{plan.end_with} finished the demonstration')
                        )
                    ],
                )
            )
        )
    return actions


def generate_launch_description():
    return LaunchDescription(declare_arguments(ARGUMENTS) + [OpaqueFunction(function=_actions)])
