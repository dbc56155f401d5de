# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
From the node's parameters and the bundle to what the executor and publishers need.

That is the joint order of the commands and the limits, in the bundle's action order.
ROS-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .policy_parameters import ParameterProblem, PolicyNodeConfig
from ..control.chunk_executor import JointLimits
from ..runtime.policy_spec import PolicySpec


@dataclass(frozen=True)
class CommandLayout:
    joint_names: tuple[str, ...]  # the controller's order, as commands list them
    order: np.ndarray  # command[i] = action[order[i]]

    @classmethod
    def create(cls, joint_names, spec: PolicySpec) -> 'CommandLayout':
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
