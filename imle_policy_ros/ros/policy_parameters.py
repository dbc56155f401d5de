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

Which settings are required depends on the command interface: velocity_limits for the
joint interfaces; ee_pose_topic and the workspace box for the end-effector ones (pose,
twist). What needs the bundle (its kind, base frame, gripper) is checked when the node
has it: ros/command_layout.py.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Any, Mapping

from .command_outputs import command_interface_problem, COMMAND_OUTPUTS
from .gripper_outputs import GRIPPER_INTERFACES, GRIPPER_OUTPUTS
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
    # required or not depends on the command interface: PolicyNodeConfig.__post_init__
    if any(not (0 < v < math.inf) for v in value):
        return f'velocity_limits {list(value)} must be positive and finite'
    return None


def _corner_problem(name: str):
    def problem(value) -> str | None:
        if value and (len(value) != 3 or not all(math.isfinite(v) for v in value)):
            return f'{name} {list(value)} must be 3 finite values (x, y, z, m, base frame)'
        return None

    return problem


def _interface_problems(cfg: PolicyNodeConfig) -> list[str]:
    """Return the settings the command interface requires that are missing."""
    output = COMMAND_OUTPUTS.get(cfg.command_interface)
    if output is None or output.action_kind != 'ee_pose':
        if not cfg.velocity_limits:
            return [
                'velocity_limits is required: one positive value per joint, or one for all (rad/s)'
            ]
        return []
    problems = []
    if not str(cfg.ee_pose_topic).strip():
        problems.append(
            f'ee_pose_topic is empty: command_interface {cfg.command_interface} needs the '
            'measured end-effector pose as geometry_msgs/PoseStamped in the base frame (e.g. '
            '/cartesian_motion_controller/current_pose); set ee_pose_topic (a TF lookup '
            'instead would need tf2_ros, which is not available here)'
        )
    if not (cfg.workspace_lower and cfg.workspace_upper):
        problems.append(
            f'workspace_lower and workspace_upper are required for command_interface '
            f'{cfg.command_interface}: the box (x, y, z, m, base frame) every commanded '
            'position stays in'
        )
    return problems


_INTERFACES = ', '.join(f'{n} ({o.controller})' for n, o in COMMAND_OUTPUTS.items())
_GRIPPERS = ', '.join(f'{n} ({o.controller})' for n, o in GRIPPER_OUTPUTS.items())
_GRIPPER_TOPICS = ', '.join(f'{n}: {o.default_topic}' for n, o in GRIPPER_OUTPUTS.items())


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
        f'{_INTERFACES}; pose and twist execute ee_pose bundles, the others joint_position '
        'bundles',
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
        'per joint (or one for all), rad/s; required by the joint interfaces',
        check=_velocity_limits_problem,
    )
    # ---- end-effector (ee_pose) bundles: command_interface pose or twist
    base_frame: str = setting(
        '',
        "frame of the commanded and measured poses (empty: the bundle's ee_layout base_frame; "
        'another one is refused, the policy learned its poses in that one)',
    )
    ee_pose_topic: str = setting(
        '',
        'geometry_msgs/PoseStamped of the measured end-effector pose in base_frame, e.g. '
        '/cartesian_motion_controller/current_pose; required by pose and twist',
    )
    workspace_lower: tuple[float, ...] = setting(
        (),
        'x, y, z (m, base frame): the low corner of the box every commanded position stays '
        'in; required by pose and twist',
        check=_corner_problem('workspace_lower'),
    )
    workspace_upper: tuple[float, ...] = setting(
        (), 'x, y, z (m, base frame): the high corner', check=_corner_problem('workspace_upper')
    )
    max_linear_speed: float = setting(
        0.1, 'm/s: of the commanded end-effector position', min=0.001, max=5.0
    )
    max_angular_speed: float = setting(
        0.5, 'rad/s: of the commanded end-effector orientation', min=0.001, max=10.0
    )
    max_tracking_error: float = setting(
        0.05,
        'm: a measured position further than this from the command is an arm that does not '
        'follow: it is held where it is',
        min=0.001,
        max=1.0,
    )
    max_tracking_angle: float = setting(
        0.3, 'rad: the same for the orientation', min=0.001, max=math.pi
    )
    twist_correction_gain: float = setting(
        2.0,
        '1/s, command_interface twist: adds gain x (commanded - measured pose) to the '
        'velocity, at most half the speed limits (0: velocity only)',
        min=0.0,
        max=20.0,
    )
    # ---- the gripper of an ee_pose bundle
    gripper_interface: str = setting(
        'none',
        f'none (the gripper is not commanded), {_GRIPPERS}; only for a bundle with a gripper',
        choices=GRIPPER_INTERFACES,
    )
    gripper_topic: str = setting(
        '', f"where gripper commands go (empty: the interface's usual one, {_GRIPPER_TOPICS})"
    )
    gripper_joint: str = setting(
        '', "the gripper controller's joint (empty: the bundle's gripper joint)"
    )
    autostart: bool = setting(False, 'start enabled (otherwise call ~/enable)')
    diagnostics_rate_hz: float = setting(
        1.0, 'rate of the /diagnostics status', min=0.1, max=100.0
    )

    def __post_init__(self) -> None:
        try:
            check_settings(self)
        except SettingError as exc:
            problems = [str(exc)]
        else:
            problems = []
        problems += _interface_problems(self)
        if problems:
            raise ParameterProblem('; '.join(problems))

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
