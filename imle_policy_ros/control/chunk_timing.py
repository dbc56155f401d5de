# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
When a chunk's waypoints are due, and when the next inference must start.

Waypoint k of a chunk is due at t_obs + (k - (obs_horizon - 1) + action_delay_steps) * dt:
index obs_horizon-1 is the action taken at the observation (as in the training windows),
and a commanded position is reached one step after it is commanded. The executed part of
a chunk (its action_horizon steps from the observation on) ends at t_obs + Ta * dt; the
next chunk must be ready by then, so its inference starts a lead earlier: the configured
`replan_lead`, or the recent inference latency plus one dataset step.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .controller_types import ControllerConfig
from ..runtime.policy_spec import PolicySpec


def waypoint_times(spec: PolicySpec, config: ControllerConfig, t_obs: float) -> np.ndarray:
    k = np.arange(spec.pred_horizon)
    return t_obs + (k - (spec.obs_horizon - 1) + config.action_delay_steps) * spec.dt


def replan_time(
    spec: PolicySpec, config: ControllerConfig, t_obs: float, latencies: Sequence[float]
) -> float:
    """Return when to start the inference after the chunk observed at t_obs."""
    executed_until = t_obs + spec.action_horizon * spec.dt
    lead = config.replan_lead
    if lead is None:
        lead = (max(latencies) if latencies else 0.0) + spec.dt
    return executed_until - lead
