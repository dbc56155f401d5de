# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The parameters of `/imle_policy`, in one table, and their checks.

ROS-free on purpose: the node declares these (with descriptors built from the table),
`run` and the launch plan read the same defaults, and the checks are plain functions
tested without a ROS graph. A parameter marked `live` may be changed while the node runs
(`ros2 param set`); the others are read-only after start-up and a set is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

COMMAND_INTERFACES = ('joint_trajectory', 'forward_position', 'pose', 'twist')
# What a command_interface needs from the bundle: this version streams joint positions.
EXECUTABLE_INTERFACES = ('joint_trajectory', 'forward_position')


@dataclass(frozen=True)
class ParameterDef:
    name: str
    default: object  # for an empty list: the element type name ("string" | "double")
    description: str
    live: bool = False
    min: float | None = None
    max: float | None = None

    @property
    def is_empty_list(self) -> bool:
        return self.default in ('string[]', 'double[]')


PARAMETERS = (
    ParameterDef(
        'model_path',
        '',
        'model bundle folder (encoder.onnx, generator.onnx, policy.json); a relative '
        "path is looked up in the working directory, then in the package's models/. Setting it at run "
        'time loads and validates the new bundle in the background and swaps between chunks.',
        live=True,
    ),
    ParameterDef(
        'providers', ['cpu'], 'ONNX Runtime providers in order of preference: tensorrt, cuda, cpu'
    ),
    ParameterDef(
        'inference_threads',
        2,
        'ONNX Runtime intra-op threads (0: ONNX Runtime decides)',
        min=0,
        max=64,
    ),
    ParameterDef(
        'num_samples', 32, 'action chunks drawn per inference (N)', live=True, min=1, max=1024
    ),
    ParameterDef(
        'temporal_consistency', True, 'choose the sample closest to the running chunk', live=True
    ),
    ParameterDef(
        'consistency_reset_every',
        5,
        'every k-th chunk is chosen without a reference (0: never)',
        live=True,
        min=0,
        max=1000,
    ),
    ParameterDef('control_rate_hz', 100.0, 'rate of the command stream', min=1.0, max=1000.0),
    ParameterDef(
        'command_interface',
        'joint_trajectory',
        'joint_trajectory (JointTrajectoryController), '
        'forward_position (forward_position_controller), pose or twist (Cartesian controllers)',
    ),
    ParameterDef(
        'command_topic', '/joint_trajectory_controller/joint_trajectory', 'where commands go'
    ),
    ParameterDef(
        'image_topics',
        ['/camera/camera/color/image_raw'],
        'one topic per bundle camera, in the '
        "bundle's camera order; a topic ending in /compressed carries sensor_msgs/CompressedImage",
    ),
    ParameterDef('joint_state_topic', '/joint_states', 'sensor_msgs/JointState input'),
    ParameterDef(
        'joint_names',
        'string[]',
        "the controller's joints, in the order commands list them "
        "(empty: the bundle's action names)",
    ),
    ParameterDef(
        'position_lower_limits',
        'double[]',
        "per joint, rad (empty: the bundle's action range, widened by position_limit_margin)",
    ),
    ParameterDef(
        'position_upper_limits', 'double[]', 'per joint, rad (empty: as position_lower_limits)'
    ),
    ParameterDef(
        'position_limit_margin',
        0.1,
        "rad added on both sides of the bundle's action range when the "
        'position limits are not given',
        min=0.0,
        max=10.0,
    ),
    ParameterDef('velocity_limits', 'double[]', 'per joint (or one for all), rad/s; required'),
    ParameterDef(
        'stale_observation_timeout',
        0.5,
        's: an input older than this holds the arm',
        live=True,
        min=0.01,
        max=10.0,
    ),
    ParameterDef('blend_time', 0.1, 's: cross-fade between consecutive chunks', min=0.0, max=2.0),
    ParameterDef('autostart', False, 'start enabled (otherwise call ~/enable)'),
    ParameterDef(
        'shadow_mode',
        True,
        'while disabled, keep inferring and publish ~/predicted_trajectory',
        live=True,
    ),
    ParameterDef(
        'diagnostics_rate_hz', 1.0, 'rate of the /diagnostics status', min=0.1, max=100.0
    ),
)
BY_NAME = {p.name: p for p in PARAMETERS}


class ParameterProblem(ValueError):
    """A parameter value that cannot be used; the message names it and says what to do."""


@dataclass(frozen=True)
class PolicyNodeConfig:
    model_path: str
    providers: tuple
    inference_threads: int
    num_samples: int
    temporal_consistency: bool
    consistency_reset_every: int
    control_rate_hz: float
    command_interface: str
    command_topic: str
    image_topics: tuple
    joint_state_topic: str
    joint_names: tuple
    position_lower_limits: tuple
    position_upper_limits: tuple
    position_limit_margin: float
    velocity_limits: tuple
    stale_observation_timeout: float
    blend_time: float
    autostart: bool
    shadow_mode: bool
    diagnostics_rate_hz: float

    @classmethod
    def from_values(cls, values: dict) -> 'PolicyNodeConfig':
        """
        Typed config from parameter values (missing ones take the table's defaults);
        raises ParameterProblem listing every problem found.
        """
        merged = {}
        for p in PARAMETERS:
            value = values.get(p.name, [] if p.is_empty_list else p.default)
            merged[p.name] = tuple(value) if isinstance(value, (list, tuple)) else value
        problems = [
            problem for name, value in merged.items() if (problem := check_value(name, value))
        ]
        if problems:
            raise ParameterProblem('; '.join(problems))
        return cls(**{f.name: merged[f.name] for f in fields(cls)})


def check_value(name: str, value) -> str | None:
    """
    The reason `value` is unusable for parameter `name`, or None. Ranges are also given
    to ROS in the descriptors; they are checked here too for values from other sources.
    """
    p = BY_NAME[name]
    if p.min is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        return f'{name}={value!r} must be a number in [{p.min}, {p.max}]'
    if p.min is not None and value < p.min or p.max is not None and value > p.max:
        return f'{name}={value} is outside [{p.min}, {p.max}]'
    if name == 'model_path' and not str(value).strip():
        return 'model_path is empty: set it to a model bundle folder (e.g. models/reach_default)'
    if name == 'command_interface' and value not in COMMAND_INTERFACES:
        return f'command_interface {value!r} is not one of {", ".join(COMMAND_INTERFACES)}'
    if name == 'command_interface' and value not in EXECUTABLE_INTERFACES:
        return (
            f'command_interface {value!r} needs a bundle with action kind ee_pose, which this version does '
            f'not execute yet; use joint_trajectory or forward_position'
        )
    if name in ('command_topic', 'joint_state_topic') and not str(value).strip():
        return f'{name} is empty'
    if name == 'image_topics' and (not value or any(not str(t).strip() for t in value)):
        return 'image_topics must list one non-empty topic per camera of the bundle'
    if name == 'providers' and not value:
        return 'providers is empty: give at least cpu'
    if name == 'velocity_limits':
        if not value:
            return (
                'velocity_limits is required: one positive value per joint, or one for all (rad/s)'
            )
        if any(not (v > 0 and v < float('inf')) for v in value):
            return f'velocity_limits {list(value)} must be positive and finite'
    return None
