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

from ..runtime.policy_spec import DIFFUSION_SAMPLERS
from ..settings import check_settings, setting

BUNDLE_SAMPLER = 'bundle'  # diffusion_sampler: keep the bundle's own


@dataclass(frozen=True)
class ControllerConfig:
    """
    How PolicyController decides; the one definition of these settings.

    The policy node offers them as its parameters (same names), eval and replay as their
    options. Frozen: a live change (`PolicyController.update_config`) swaps the whole object
    between two ticks, so a tick never sees half of a change.
    """

    num_samples: int = setting(
        32, 'action chunks drawn per inference (N)', min=1, max=1024, live=True
    )
    temporal_consistency: bool = setting(
        True, 'execute the sample closest to the running chunk', live=True
    )
    consistency_reset_every: int = setting(
        5,
        'every k-th chunk is chosen without a reference, so the policy may change its mind '
        '(0: never)',
        min=0,
        max=1000,
        live=True,
    )
    stale_observation_timeout: float = setting(
        0.5, 's: an input older than this holds the arm', min=0.01, max=10.0, live=True
    )
    blend_time: float = setting(0.1, 's: cross-fade between consecutive chunks', min=0.0, max=2.0)
    shadow_mode: bool = setting(
        True,
        'while disabled, keep inferring (fresh inputs) and show the chunk it would execute',
        live=True,
    )
    # Waypoint k of a chunk is due at t_obs + (k - (obs_horizon - 1) + action_delay_steps) * dt:
    # index obs_horizon-1 is the action taken at the observation (as in the training
    # windows), and a commanded position is reached one step after it is commanded.
    action_delay_steps: float = setting(
        1.0, 'dataset steps between commanding a waypoint and reaching it', min=0.0, max=10.0
    )
    replan_lead: float | None = setting(
        None,
        's before the executed part of a chunk ends at which the next inference starts '
        '(default: the recent inference latency plus one dataset step)',
        min=0.0,
        max=10.0,
        ros=False,
    )
    max_future_stamp: float = setting(
        0.1,
        's: an input stamped further ahead of the clock is refused (another time base); a '
        'little is allowed for clock skew between the machines that stamp inputs',
        min=0.0,
        max=0.5,
    )

    gripper_hysteresis: float = setting(
        0.1,
        'the gripper closes above threshold + this and opens below threshold - this (0..1 units)',
        min=0.0,
        max=0.49,
    )
    gripper_min_dwell: float = setting(
        0.5, 's: the gripper never changes again sooner than this', min=0.0, max=10.0
    )
    diffusion_sampler: str = setting(
        BUNDLE_SAMPLER,
        'diffusion bundles (the Diffusion Policy baseline): ddim10 (10 UNet calls per chunk) '
        'or ddpm100 (100); bundle: the one its policy.json names. Other bundles ignore it',
        choices=(BUNDLE_SAMPLER, *DIFFUSION_SAMPLERS),
    )

    def __post_init__(self) -> None:
        check_settings(self)

    @property
    def sampler_override(self) -> str | None:
        """Return the sampler OnnxPolicy should run instead of the bundle's, or None."""
        return None if self.diffusion_sampler == BUNDLE_SAMPLER else self.diffusion_sampler


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
    # that is not a hold never comes from inputs older than stale_observation_timeout.
    input_age: float = float('inf')
    # The position is the arm's measured one (first command, after a reset, a hold or a
    # loss of the joint states): it may differ from the previous command, and is where the
    # arm is. Every other command is within the velocity limit of the previous one.
    from_measured: bool = False
    # ee_pose bundles: positions is the pose (x, y, z, qx, qy, qz, qw) in the base frame;
    # the gripper decision (0 open, 1 closed, None: no gripper or not known yet) and whether
    # it changed at this tick; the velocity of this command, (linear [3], angular [3]) in
    # the base frame, zero on a hold (for twist interfaces).
    gripper: float | None = None
    gripper_changed: bool = False
    twist: tuple | None = None


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
    not_following: int = 0  # holds because the measured pose left the commanded one
    last_jump: float = 0.0
    last_inference_ms: float = 0.0
    last_latency_s: float = 0.0
    last_error: str = ''
    recent_latencies: list = field(default_factory=list)
