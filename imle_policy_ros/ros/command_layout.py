# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
From the node's parameters and the bundle to what the executor and publishers need.

That is the joint order of the commands and the limits, in the bundle's action order, or
for an end-effector bundle the base frame of the poses and the Cartesian limits; and
whether the parameters fit the bundle at all (`bundle_problems`: the command interface,
the base frame, the gripper), at start and for a model switch. ROS-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .command_outputs import output_fit_problem
from .gripper_outputs import GRIPPER_OUTPUTS
from .policy_parameters import ParameterProblem, PolicyNodeConfig
from ..control.cartesian_executor import CartesianLimits
from ..control.chunk_executor import JointLimits
from ..runtime.policy_spec import PolicySpec

# What an end-effector command lists, in its order (runtime/rotations.py: a pose).
POSE_NAMES = ('x', 'y', 'z', 'qx', 'qy', 'qz', 'qw')


@dataclass(frozen=True)
class CommandLayout:
    joint_names: tuple[str, ...]  # the controller's order, as commands list them (or POSE_NAMES)
    order: np.ndarray  # command[i] = action[order[i]]
    frame_id: str = ''  # ee_pose bundles: the base frame the poses are in

    @classmethod
    def create(cls, joint_names, spec: PolicySpec, base_frame: str = '') -> 'CommandLayout':
        """Return the layout; base_frame: the parameter (empty: the bundle's)."""
        if spec.ee_layout is not None:
            if joint_names:
                raise ParameterProblem(
                    f'joint_names {list(joint_names)} is for joint bundles: this ee_pose bundle '
                    'commands the end-effector pose; leave joint_names empty'
                )
            return cls(POSE_NAMES, np.arange(len(POSE_NAMES)), base_frame_of(base_frame, spec))
        actions = list(spec.action_names)
        names = tuple(joint_names) or tuple(actions)
        if sorted(names) != sorted(actions):
            raise ParameterProblem(
                f"joint_names {list(names)} must name exactly the bundle's actions {actions} "
                f"(in the controller's order)"
            )
        return cls(names, np.array([actions.index(n) for n in names]))

    def to_command_order(self, actions: np.ndarray) -> np.ndarray:
        return np.asarray(actions)[..., self.order]


def joint_limits(cfg: PolicyNodeConfig, layout: CommandLayout, spec: PolicySpec) -> JointLimits:
    """
    Return the limits in the bundle's action order.

    Values given per joint follow joint_names (the controller's order), as a robot's limits
    are usually written.
    """
    dim = len(spec.action_names)

    def per_action(values, what):
        values = np.asarray(values, dtype=np.float64)
        if values.size == 1:
            return np.full(dim, float(values[0]))
        if values.size != dim:
            raise ParameterProblem(
                f'{what} has {values.size} values; give one per joint '
                f'({list(layout.joint_names)}) or one for all'
            )
        out = np.empty(dim)
        out[layout.order] = values
        return out

    if cfg.position_lower_limits or cfg.position_upper_limits:
        if not (cfg.position_lower_limits and cfg.position_upper_limits):
            raise ParameterProblem(
                'give both position_lower_limits and position_upper_limits, or neither'
            )
        lower = per_action(cfg.position_lower_limits, 'position_lower_limits')
        upper = per_action(cfg.position_upper_limits, 'position_upper_limits')
    else:  # what the demonstrations did, with a margin
        stats = spec.action_stats
        lower = np.asarray(stats.min, np.float64) - cfg.position_limit_margin
        upper = np.asarray(stats.max, np.float64) + cfg.position_limit_margin
    velocity = per_action(cfg.velocity_limits, 'velocity_limits')
    try:
        return JointLimits.create(dim, lower, upper, velocity)
    except ValueError as exc:
        raise ParameterProblem(str(exc)) from None


def cartesian_limits(cfg: PolicyNodeConfig) -> CartesianLimits:
    """Return the end-effector limits (base frame) of the parameters."""
    try:
        return CartesianLimits(
            workspace_lower=np.asarray(cfg.workspace_lower, dtype=np.float64),
            workspace_upper=np.asarray(cfg.workspace_upper, dtype=np.float64),
            max_linear_speed=cfg.max_linear_speed,
            max_angular_speed=cfg.max_angular_speed,
            max_tracking_error=cfg.max_tracking_error,
            max_tracking_angle=cfg.max_tracking_angle,
        )
    except ValueError as exc:
        raise ParameterProblem(str(exc)) from None


def command_limits(
    cfg: PolicyNodeConfig, layout: CommandLayout, spec: PolicySpec
) -> JointLimits | CartesianLimits:
    """Return the limits the controller needs for this bundle's kind."""
    if spec.ee_layout is not None:
        return cartesian_limits(cfg)
    return joint_limits(cfg, layout, spec)


def base_frame_of(base_frame: str, spec: PolicySpec) -> str:
    """Return the frame of the poses: the bundle's; a different base_frame is refused."""
    assert spec.ee_layout is not None, 'only an ee_pose bundle has a base frame'
    learned = spec.ee_layout.base_frame
    if base_frame and base_frame != learned:
        raise ParameterProblem(
            f'base_frame {base_frame!r} is not the frame the bundle learned its poses in '
            f'({learned!r}): commands and measured poses must be in {learned!r}; leave '
            f'base_frame empty or set it to {learned!r}'
        )
    return learned


def bundle_problems(cfg: PolicyNodeConfig, spec: PolicySpec) -> list[str]:
    """Return why the parameters cannot drive this bundle (empty: they can)."""
    problem = output_fit_problem(cfg.command_interface, spec.action_kind)
    if problem:
        return [problem]
    problems = []
    if spec.ee_layout is not None:
        try:
            base_frame_of(cfg.base_frame, spec)
        except ParameterProblem as exc:
            problems.append(str(exc))
    gripper = spec.ee_layout.gripper if spec.ee_layout is not None else None
    if cfg.gripper_interface != 'none':
        if gripper is None:
            problems.append(
                f'gripper_interface {cfg.gripper_interface}: the bundle has no gripper to '
                'command; set gripper_interface none'
            )
        else:
            unavailable = GRIPPER_OUTPUTS[cfg.gripper_interface].availability_problem()
            if unavailable:
                problems.append(unavailable)
    return problems


def check_bundle(cfg: PolicyNodeConfig, spec: PolicySpec) -> None:
    """Raise ParameterProblem naming every reason the parameters cannot drive this bundle."""
    problems = bundle_problems(cfg, spec)
    if problems:
        raise ParameterProblem('; '.join(problems))


def gripper_not_commanded(cfg: PolicyNodeConfig, spec: PolicySpec) -> str:
    """Return the warning for a bundle whose gripper nobody commands ('' when none is due)."""
    layout = spec.ee_layout
    if layout is None or layout.gripper is None or cfg.gripper_interface != 'none':
        return ''
    return (
        'the bundle has a gripper but gripper_interface is none: the gripper is not '
        'commanded (set gripper_interface forward_command, joint_trajectory or '
        'gripper_action to command it)'
    )
