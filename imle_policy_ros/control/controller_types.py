# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What PolicyController is configured with, what each tick returns, and what it counts.

Plain data, in its own module so that code which only reads commands or statistics (the
ROS node's diagnostics, the safety invariants, the soak report) does not need the
controller itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class ControllerConfig:
    stale_timeout: float = 0.5  # s: an input older than this holds the arm
    blend_time: float = 0.1  # s: cross-fade at a chunk switch
    temporal_consistency: bool = True
    consistency_reset_every: int = 5  # every k-th chunk is chosen without a reference
    # Waypoint k of a chunk is due at t_obs + (k - (obs_horizon - 1) + action_delay_steps) * dt:
    # index obs_horizon-1 is the action taken at the observation (as in the training
    # windows), and a commanded position is reached one step after it is commanded.
    action_delay_steps: float = 1.0
    # Start the next inference this long before the executed part of the chunk ends; None:
    # the recent inference latency (p90-like running max) plus one dataset step.
    replan_lead: float | None = None
    # Keep inferring while disabled (fresh inputs), so `predicted_chunk` shows what the
    # policy would do before it is allowed to move the arm.
    shadow_mode: bool = True
    # s: an input stamped further ahead of the clock than this is refused (another time
    # base); a little is allowed for clock skew between the machines that stamp inputs.
    max_future_stamp: float = 0.1


@dataclass(frozen=True)
class Command:
    time: float
    positions: np.ndarray | None  # None: nothing can be commanded yet (no joint state)
    holding: bool
    reason: str = ''  # why holding
    # With tick(waypoints=True), while moving: the rest of the running chunk as (times from
    # now [K], positions [K, D]), limited like the commands (for trajectory interfaces).
    waypoints: tuple | None = None
    # Age of the oldest of the newest inputs at this tick (inf: one is missing). A command
    # that is not a hold never comes from inputs older than stale_timeout.
    input_age: float = float('inf')
    # The position is the arm's measured one (first command, after a reset, a hold or a
    # loss of the joint states): it may differ from the previous command, and is where the
    # arm is. Every other command is within the velocity limit of the previous one.
    from_measured: bool = False


@dataclass
class ControllerStats:
    inferences: int = 0  # started
    results: int = 0  # finished (usable or not)
    chunks_started: int = 0
    chunks_refused: int = 0
    late_results: int = 0  # results whose observation was already stale
    overruns: int = 0  # chunks that ran out before the next one was ready
    rejected_inputs: int = 0
    rejected_by_source: dict = field(default_factory=dict)  # e.g. {"camera 'top'": 3}
    clock_resets: int = 0
    model_switches: int = 0
    last_jump: float = 0.0
    last_inference_ms: float = 0.0
    last_latency_s: float = 0.0
    last_error: str = ''
    recent_latencies: list = field(default_factory=list)
