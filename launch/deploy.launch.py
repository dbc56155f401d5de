# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Arm driver + camera + IMLE policy: `ros2 launch imle_policy_ros deploy.launch.py robot:=sim`.

Every decision (which driver, which camera, which parameters) is made by
imle_policy_ros.ros.launch_plan.plan_deploy, which the tests check for each robot; this
file only turns that plan into launch_ros actions.
"""

from imle_policy_ros.ros.launch_actions import (
    argument_values,
    declare_arguments,
    hardware_args,
    include_actions,
    node_action,
    package_installed,
)
from imle_policy_ros.ros.launch_plan import HARDWARE_ARGUMENTS, plan_deploy
from launch import LaunchDescription
from launch.actions import OpaqueFunction

ARGUMENTS = {
    **HARDWARE_ARGUMENTS,
    'model': ('', "model bundle folder (default: the config's model_path)"),
    'autostart': (
        '',
        "true | false: start moving without calling ~/enable (default: the config's)",
    ),
}


def _actions(context):
    value = argument_values(context, ARGUMENTS)
    plan = plan_deploy(
        hardware_args(value, model=value['model'], autostart=value['autostart']), package_installed
    )
    return include_actions(plan.includes) + [node_action(node) for node in plan.nodes]


def generate_launch_description():
    return LaunchDescription(declare_arguments(ARGUMENTS) + [OpaqueFunction(function=_actions)])
