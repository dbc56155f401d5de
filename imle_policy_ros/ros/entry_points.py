# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Console entry points of the ROS 2 executables (registered in setup.py).

Each imports its node only when run, so `imle-policy-ros` and the package import work on
a host without rclpy; without it, an executable says how to get it instead of a traceback.
"""

import importlib
import sys

_NO_RCLPY = (
    '{name}: rclpy is not importable. On a ROS 2 machine, source it first '
    '(source /opt/ros/<distro>/setup.bash); without ROS, install the pip wheels: '
    "pip install 'imle_policy_ros[ros]' (Python 3.11, x86_64)."
)


def _run_node_main(name: str) -> int:
    """The `main()` of imle_policy_ros.ros.<name>, or 1 with a hint when rclpy is missing."""
    try:
        import rclpy  # noqa: F401
    except ImportError:
        print(_NO_RCLPY.format(name=name), file=sys.stderr)
        return 1
    return importlib.import_module(f'imle_policy_ros.ros.{name}').main()


def policy_node() -> int:
    return _run_node_main('policy_node')


def realsense_node() -> int:
    return _run_node_main('realsense_node')


def sim_robot_node() -> int:
    return _run_node_main('sim_robot_node')


def sim_teleop_node() -> int:
    return _run_node_main('sim_teleop_node')
