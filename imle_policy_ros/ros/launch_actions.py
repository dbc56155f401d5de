# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Launch plans (launch_plan.py, record_plan.py) into launch_ros actions.

Imported only by the files in launch/, where `launch` and `launch_ros` exist; nothing here
decides anything, so the plans stay testable without them.
"""

from __future__ import annotations

import os

from ament_index_python.packages import get_package_share_directory, PackageNotFoundError
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

from .launch_plan import DeployArgs
from ..resources import resolve_config_path


def declare_arguments(arguments: dict) -> list:
    return [
        DeclareLaunchArgument(name, default_value=default, description=description)
        for name, (default, description) in arguments.items()
    ]


def argument_values(context, arguments: dict) -> dict:
    return {name: LaunchConfiguration(name).perform(context) for name in arguments}


def hardware_args(value: dict, **more) -> DeployArgs:
    """Return the DeployArgs from the launch argument values (HARDWARE_ARGUMENTS, plus `more`)."""
    return DeployArgs(
        robot=value['robot'],
        camera=value['camera'],
        config=value['config'],
        ur_type=value['ur_type'],
        robot_ip=value['robot_ip'],
        use_mock_hardware=value['use_mock_hardware'].lower() == 'true',
        robot_launch=value['robot_launch'],
        task=value['task'],
        ros_distro=os.environ.get('ROS_DISTRO', 'jazzy'),
        **more,
    )


def package_installed(package: str) -> bool:
    try:
        get_package_share_directory(package)
        return True
    except PackageNotFoundError:
        return False


def include_actions(includes) -> list:
    actions = []
    for include in includes:
        path = include.path or os.path.join(
            get_package_share_directory(include.package), 'launch', include.launch_file
        )
        actions.append(
            IncludeLaunchDescription(
                PythonLaunchDescriptionSource(path), launch_arguments=include.arguments.items()
            )
        )
    return actions


def node_action(node) -> Node:
    parameters = [str(resolve_config_path(f)) for f in node.parameter_files]
    if node.overrides:
        parameters.append(dict(node.overrides))
    return Node(
        package=node.package,
        executable=node.executable,
        name=node.name,
        namespace=node.namespace,
        parameters=parameters,
        output='screen',
    )
