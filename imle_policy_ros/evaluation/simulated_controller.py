# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The node's PolicyController on simulated time, as eval and replay both run it.

The ONNX bundle samples N chunks, the controller applies temporal consistency, and each
inference result arrives after the time the inference really took on this machine (or a
fixed latency, for runs that must not depend on the machine).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..control.cartesian_executor import CartesianLimits
from ..control.chunk_executor import JointLimits
from ..control.clock import SimulatedClock
from ..control.controller_types import ControllerConfig
from ..control.inference_runner import SimulatedLatencyRunner
from ..control.policy_controller import PolicyController
from ..runtime import OnnxPolicy, PolicyBundle
from ..settings import check_settings, nested, setting

# Offline runs of the built-in simulator and Push-T tick at half the node's default rate:
# their arms move smoothly between targets, so a tick is only how often a command is sampled
# and these decisions do not depend on it. A simulator whose arm reaches each target
# within its own step (Meta-World) needs a fresh command for every step: evaluation/
# metaworld_eval.py passes its own default.
DEFAULT_CONTROL_RATE_HZ = 50.0


@dataclass(frozen=True)
class SimulatedRunConfig:
    """How an offline run drives the controller: its settings, its rate, the latency."""

    controller: ControllerConfig = nested(ControllerConfig)
    control_rate_hz: float | None = setting(
        None,
        "Hz the controller ticks at (simulated time; default: the simulator's, tick_rate())",
        min=1.0,
        max=1000.0,
        flag='--control-rate',
    )
    latency_ms: float | None = setting(
        None,
        'simulated inference latency, ms (default: the inference time measured on this machine)',
        min=0.0,
        max=10_000.0,
    )

    def __post_init__(self) -> None:
        check_settings(self)

    def tick_rate(self, simulator_default: float = DEFAULT_CONTROL_RATE_HZ) -> float:
        """Return control_rate_hz, or when unset the simulator's default rate."""
        return simulator_default if self.control_rate_hz is None else self.control_rate_hz


def simulated_controller(
    bundle: PolicyBundle,
    limits: JointLimits | CartesianLimits,
    clock: SimulatedClock,
    run: SimulatedRunConfig,
    seed: int,
    wrap_runner=lambda runner: runner,
) -> PolicyController:
    """Return an enabled controller for `bundle` whose inference takes simulated time."""

    def measured(result) -> float:
        return result.value.inference_ms / 1e3 if result.value is not None else 0.0

    latency = measured if run.latency_ms is None else run.latency_ms / 1e3
    runner = wrap_runner(SimulatedLatencyRunner(clock, latency))
    controller = PolicyController(
        OnnxPolicy(bundle, seed, run.controller.sampler_override),
        limits,
        clock,
        runner,
        run.controller,
    )
    controller.enable(True)
    return controller
