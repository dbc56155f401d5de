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


@dataclass(frozen=True)
class SimulatedRunConfig:
    """How an offline run drives the controller: its settings, its rate, the latency."""

    controller: ControllerConfig = nested(ControllerConfig)
    # Offline runs tick at half the node's default rate: the same decisions, half the cost
    # in simulated time (the controller's behaviour does not depend on the tick rate).
    control_rate_hz: float = setting(
        50.0,
        'Hz the controller ticks at (simulated time)',
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
