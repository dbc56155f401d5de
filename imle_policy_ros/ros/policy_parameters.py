# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The parameters of `/imle_policy`: PolicyNodeConfig, and the checks of their values.

ROS-free on purpose: the node declares one parameter per setting (ros/node_parameters.py),
`run`, the launch plan and the tests read the same config. The controller's settings
(num_samples, temporal_consistency, stale_observation_timeout, ...) are defined once, in
control.ControllerConfig, and ONNX Runtime's in runtime.InferenceConfig; this config holds
them, so each parameter sets the field of the same name there. A setting marked `live`
may be changed while the node runs (`ros2 param set`); the others are read-only after
start-up and a set is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Mapping

from .command_outputs import command_interface_problem, COMMAND_OUTPUTS, PLANNED_INTERFACES
from ..control.controller_types import ControllerConfig
from ..runtime.sessions import InferenceConfig
from ..settings import build, check_settings, nested, setting, SettingError


class ParameterProblem(SettingError):
    """A parameter value that cannot be used; the message names it and says what to do."""


def _model_path_problem(value: str) -> str | None:
    if not str(value).strip():
        return 'model_path is empty: set it to a model bundle folder (e.g. models/reach_default)'
    return None


def _topic_problem(name: str):
    def problem(value: str) -> str | None:
        return f'{name} is empty' if not str(value).strip() else None

    return problem


def _image_topics_problem(value) -> str | None:
    if not value or any(not str(t).strip() for t in value):
        return 'image_topics must list one non-empty topic per camera of the bundle'
    return None


def _velocity_limits_problem(value) -> str | None:
    if not value:
        return 'velocity_limits is required: one positive value per joint, or one for all (rad/s)'
    if any(not (0 < v < math.inf) for v in value):
        return f'velocity_limits {list(value)} must be positive and finite'
    return None


_INTERFACES = ', '.join(f'{n} ({o.controller})' for n, o in COMMAND_OUTPUTS.items())


@dataclass(frozen=True)
class PolicyNodeConfig:
    model_path: str = setting(
        '',
        'model bundle folder (encoder.onnx, generator.onnx, policy.json); a relative path is '
        "looked up in the working directory, then in the package's models/. Setting it at "
        'run time loads and validates the new bundle in the background and swaps between '
        'chunks.',
        live=True,
        check=_model_path_problem,
    )
    inference: InferenceConfig = nested(
        InferenceConfig, default=InferenceConfig(inference_threads=2)
    )
    controller: ControllerConfig = nested(ControllerConfig)
    control_rate_hz: float = setting(100.0, 'rate of the command stream', min=1.0, max=1000.0)
    command_interface: str = setting(
        'joint_trajectory',
        f'{_INTERFACES}; {" or ".join(PLANNED_INTERFACES)} for Cartesian controllers '
        '(ee_pose bundles)',
        check=command_interface_problem,
    )
    command_topic: str = setting(
        '/joint_trajectory_controller/joint_trajectory',
        'where commands go',
        check=_topic_problem('command_topic'),
    )
    image_topics: tuple[str, ...] = setting(
        ('/camera/camera/color/image_raw',),
        "one topic per bundle camera, in the bundle's camera order; a topic ending in "
        '/compressed carries sensor_msgs/CompressedImage',
        check=_image_topics_problem,
    )
    joint_state_topic: str = setting(
        '/joint_states', 'sensor_msgs/JointState input', check=_topic_problem('joint_state_topic')
    )
    joint_names: tuple[str, ...] = setting(
        (),
        "the controller's joints, in the order commands list them (empty: the bundle's action "
        'names)',
    )
    position_lower_limits: tuple[float, ...] = setting(
        (),
        "per joint, rad (empty: the bundle's action range, widened by position_limit_margin)",
    )
    position_upper_limits: tuple[float, ...] = setting(
        (), 'per joint, rad (empty: as position_lower_limits)'
    )
    position_limit_margin: float = setting(
        0.1,
        "rad added on both sides of the bundle's action range when the position limits are not "
        'given',
        min=0.0,
        max=10.0,
    )
    velocity_limits: tuple[float, ...] = setting(
        (),
        'per joint (or one for all), rad/s; required',
        check=_velocity_limits_problem,
    )
    autostart: bool = setting(False, 'start enabled (otherwise call ~/enable)')
    diagnostics_rate_hz: float = setting(
        1.0, 'rate of the /diagnostics status', min=0.1, max=100.0
    )

    def __post_init__(self) -> None:
        check_settings(self)

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> PolicyNodeConfig:
        """
        Build the config from parameter values by name (missing ones take the defaults).

        Raises ParameterProblem listing every problem found.
        """
        try:
            return build(cls, values)
        except SettingError as exc:
            raise ParameterProblem(str(exc)) from None
