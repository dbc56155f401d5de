# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros run --config FILE`: the nodes of a config in one process.

For hosts with the rclpy wheels but no `ros2 launch`.

The config is a ROS parameters file whose top-level keys are node names (config/sim.yaml:
`imle_policy` and `sim_robot`). Each named node is started, and all of them get their
parameters from that same file through `--ros-args --params-file`, exactly as the launch
file hands it to them; ros/spin.py spins each node in an executor of its own, as it does
for a single executable.
"""

from __future__ import annotations

import yaml

from ..resources import resolve_config_path

# node name in a config -> how to build it (imported only when named)
NODE_FACTORIES = {
    'imle_policy': ('imle_policy_ros.ros.policy_node', 'PolicyNode'),
    'sim_robot': ('imle_policy_ros.ros.sim_robot_node', 'SimRobotNode'),
    'sim_teleop': ('imle_policy_ros.ros.sim_teleop_node', 'SimTeleopNode'),
    'metaworld_robot': ('imle_policy_ros.ros.metaworld_robot_node', 'MetaWorldRobotNode'),
    'metaworld_teleop': ('imle_policy_ros.ros.metaworld_teleop_node', 'MetaWorldTeleopNode'),
    'realsense_camera': ('imle_policy_ros.ros.realsense_node', 'RealSenseNode'),
    'camera': ('imle_policy_ros.ros.camera_node', 'CameraNode'),
}


def nodes_in_config(path) -> list[str]:
    """Return the node names a config file gives parameters to; unknown names are an error."""
    with open(path) as f:
        document = yaml.safe_load(f) or {}
    if not isinstance(document, dict):
        raise ValueError(
            f'{path}: expected node names as top-level keys, got {type(document).__name__}'
        )
    names = [name.lstrip('/') for name in document if name != '/**']
    unknown = [n for n in names if n not in NODE_FACTORIES]
    if unknown:
        raise ValueError(
            f'{path}: unknown node(s) {unknown}; this package runs {sorted(NODE_FACTORIES)}'
        )
    if not names:
        raise ValueError(f'{path}: names no node to run')
    return names


def run(config: str, model: str | None = None, duration: float | None = None, ros_args=()) -> int:
    import importlib

    from rclpy.parameter import Parameter

    from .spin import spin_nodes

    path = resolve_config_path(config)
    names = nodes_in_config(path)

    def make_nodes():
        nodes = []
        for name in names:
            module, cls = NODE_FACTORIES[name]
            overrides = (
                [Parameter('model_path', value=model)] if model and name == 'imle_policy' else []
            )
            node = getattr(importlib.import_module(module), cls)(parameter_overrides=overrides)
            nodes.extend(node.nodes() if hasattr(node, 'nodes') else [node])
        return nodes

    return spin_nodes(
        make_nodes,
        ['imle-policy-ros', '--ros-args', '--params-file', str(path), *ros_args],
        duration=duration,
    )
