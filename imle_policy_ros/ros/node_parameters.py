# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The one way a node of this package declares its parameters: from its config dataclass.

Each setting of the config (settings.py; nested configs flattened) becomes a parameter of
the same name, typed by its annotation, with its help as the description, its range in
the descriptor and `read_only` unless the setting is live. The node gets back the config,
built and checked from the values (YAML, launch, --ros-args) as any config is, or a
ParameterProblem naming every bad value; a live change is checked the same way before
anything is stored, so a refused `ros2 param set` keeps the old value and prints why.
"""

from __future__ import annotations

from typing import Any

from rcl_interfaces.msg import (
    FloatingPointRange,
    IntegerRange,
    ParameterDescriptor,
    SetParametersResult,
)
from rclpy.exceptions import ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from .policy_parameters import ParameterProblem
from ..settings import build, flat_fields, FlatField, replace_flat, SettingError, value_type

_ARRAY_TYPES = {
    str: Parameter.Type.STRING_ARRAY,
    float: Parameter.Type.DOUBLE_ARRAY,
    int: Parameter.Type.INTEGER_ARRAY,
    bool: Parameter.Type.BOOL_ARRAY,
}


def parameter_fields(config_type: type) -> dict[str, FlatField]:
    """Return the settings of `config_type` that a node offers as parameters, by name."""
    return {name: f for name, f in flat_fields(config_type).items() if f.info.ros}


def declare_settings(node: Node, config_type: type) -> Any:
    """Declare one parameter per setting of `config_type`; return the config they give."""
    fields = parameter_fields(config_type)
    for name, f in fields.items():
        node.declare_parameter(name, _ros_default(f), _descriptor(f))
    values = {}
    for name in fields:
        try:
            values[name] = node.get_parameter(name).value
        except ParameterUninitializedException:
            values[name] = ()  # an empty list left unset
    try:
        return build(config_type, values)
    except SettingError as exc:
        raise ParameterProblem(str(exc)) from None


def with_parameters(config: Any, params: list[Parameter]) -> tuple[Any, SetParametersResult]:
    """
    Return the config after a parameter change and the answer to give ROS.

    A parameter that is not a setting of the config is left to ROS; a refused change
    returns the old config with the reason.
    """
    fields = parameter_fields(type(config))
    changes = {p.name: p.value for p in params if p.name in fields}
    if not changes:
        return config, SetParametersResult(successful=True)
    try:
        return replace_flat(config, changes), SetParametersResult(successful=True)
    except SettingError as exc:
        return config, SetParametersResult(successful=False, reason=str(exc))


def _ros_default(f: FlatField) -> Any:
    kind = value_type(f.type)
    if f.default is None:
        raise TypeError(f'setting {f.name} defaults to None, which a ROS parameter cannot hold')
    if kind.is_sequence and not f.default:
        return _ARRAY_TYPES[kind.scalar]  # an empty list would be typed BYTE_ARRAY
    if kind.is_sequence:
        return list(f.default)
    return f.default


def _descriptor(f: FlatField) -> ParameterDescriptor:
    info = f.info
    descriptor = ParameterDescriptor(description=info.help, read_only=not info.live)
    scalar = value_type(f.type).scalar
    if info.min is not None and info.max is not None and scalar is float:
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=float(info.min), to_value=float(info.max))
        ]
    elif info.min is not None and info.max is not None and scalar is int:
        descriptor.integer_range = [
            IntegerRange(from_value=int(info.min), to_value=int(info.max), step=1)
        ]
    if info.choices is not None:
        descriptor.additional_constraints = 'one of: ' + ', '.join(map(str, info.choices))
    return descriptor
