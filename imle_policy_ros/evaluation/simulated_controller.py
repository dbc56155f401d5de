# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The node's PolicyController on simulated time, as eval and replay both run it: the ONNX
bundle sampling N chunks, temporal consistency applied by the controller, and inference
results arriving after the time the inference really took (or a fixed latency).
"""

from __future__ import annotations

from ..control.chunk_executor import JointLimits
from ..control.clock import SimulatedClock
from ..control.inference_runner import SimulatedLatencyRunner
from ..control.policy_controller import ControllerConfig, PolicyController
from ..runtime import OnnxPolicy, PolicyBundle


def simulated_controller(
    bundle: PolicyBundle,
    limits: JointLimits,
    clock: SimulatedClock,
    cfg,
    seed: int,
    wrap_runner=lambda runner: runner,
) -> PolicyController:
    """
    cfg: num_samples, temporal_consistency, consistency_reset_every, latency_ms (None:
    measured) and stale_timeout (EvalConfig, ReplayConfig). The controller starts enabled.
    """
    latency = (
        (lambda r: r.value.inference_ms / 1e3 if r.value is not None else 0.0)
        if cfg.latency_ms is None
        else cfg.latency_ms / 1e3
    )
    runner = wrap_runner(SimulatedLatencyRunner(clock, latency))
    # The controller applies temporal consistency in time; the policy only samples.
    policy = OnnxPolicy(bundle, num_samples=cfg.num_samples, temporal_consistency=False, seed=seed)
    controller = PolicyController(
        policy,
        limits,
        clock,
        runner,
        ControllerConfig(
            stale_timeout=cfg.stale_timeout,
            temporal_consistency=cfg.temporal_consistency,
            consistency_reset_every=cfg.consistency_reset_every,
        ),
    )
    controller.enable(True)
    return controller
