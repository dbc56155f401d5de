# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The quality gate of a quantized bundle: its actions and its closed loop against fp32.

Actions: both bundles run the whole inference (encoder, condition, generator) on the same
held-out windows with the same noise; the difference is reported per action dimension in
action units (mean, p99, max). A generator of several solutions maps a few noise draws
near the border between two solutions to one side in fp32 and to the other in int8, so
the max is a mode flip, not a drift: the gate judges the mean, against the fp32 bundle's
own spread (how far its chunk moves when the noise is drawn again). Closed loop: both
bundles on the same simulator scenes with the same seeds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .calibration import Windows
from ..runtime.bundle import PolicyBundle
from ..runtime.policy import OnnxPolicy

# The closed loop runs both bundles with this simulated inference latency, not the measured
# one: otherwise the faster int8 bundle would see other observations at other times, and
# the comparison would be of timing as much as of arithmetic.
GATE_LATENCY_MS = 30.0

# A deterministic (MSE) bundle has no spread to compare with: its mean error is held to
# 1% of the action range (0.02 of the normalized [-1, 1]).
DETERMINISTIC_SCALE = 0.02


@dataclass(frozen=True)
class ActionError:
    names: tuple[str, ...]
    mean: tuple[float, ...]  # action units, per dimension
    p99: tuple[float, ...]
    max: tuple[float, ...]  # noqa: A003 (a field, as the JSON has it)
    mean_normalized: float  # over all dimensions, normalized units
    spread_normalized: float  # the fp32 bundle's own change on a new noise draw; 0: MSE
    windows: int
    samples: int

    @property
    def scale(self) -> float:
        """Return what mean_normalized is compared with."""
        return self.spread_normalized if self.spread_normalized > 0 else DETERMINISTIC_SCALE

    @property
    def ratio(self) -> float:
        return self.mean_normalized / self.scale

    def to_dict(self) -> dict:
        return {**asdict(self), 'ratio': self.ratio}


def _chunks(policy: OnnxPolicy, conditions: np.ndarray, noise: np.ndarray) -> np.ndarray:
    bundle = policy.bundle
    (actions,) = bundle.generator.run(
        [bundle.actions_output], {bundle.condition_input: conditions, bundle.noise_input: noise}
    )
    return actions


def action_error(
    reference: PolicyBundle, candidate: PolicyBundle, windows: Windows, samples: int, seed: int
) -> ActionError:
    """Compare `candidate` with `reference` on `windows`, `samples` noise draws each."""
    spec = reference.spec
    deterministic = spec.training.objective == 'mse'
    samples = 1 if deterministic else samples
    ref, cand = OnnxPolicy(reference), OnnxPolicy(candidate)
    cond_ref = np.repeat(windows.conditions(ref), samples, axis=0)
    cond_cand = np.repeat(windows.conditions(cand), samples, axis=0)
    shape = (len(cond_ref), spec.pred_horizon, spec.action_dim)
    rng = np.random.default_rng(seed)
    noise = (
        np.zeros(shape, np.float32) if deterministic else rng.standard_normal(shape, np.float32)
    )
    a_ref, a_cand = _chunks(ref, cond_ref, noise), _chunks(cand, cond_cand, noise)
    stats = spec.action_stats
    units = np.abs(stats.unnormalize(a_cand) - stats.unnormalize(a_ref))
    units = units.reshape(-1, spec.action_dim)
    spread = 0.0
    if not deterministic:
        again = _chunks(ref, cond_ref, rng.standard_normal(shape, np.float32))
        spread = float(np.abs(again - a_ref).mean())
    return ActionError(
        names=tuple(spec.action_names),
        mean=tuple(float(v) for v in units.mean(axis=0)),
        p99=tuple(float(v) for v in np.quantile(units, 0.99, axis=0)),
        max=tuple(float(v) for v in units.max(axis=0)),
        mean_normalized=float(np.abs(a_cand - a_ref).mean()),
        spread_normalized=spread,
        windows=len(windows),
        samples=samples,
    )


@dataclass(frozen=True)
class ClosedLoop:
    episodes: int
    seed: int
    reference: dict  # evaluation summaries (success_rate, mode_share, ...)
    candidate: dict

    @property
    def success_drop(self) -> float:
        return self.reference['success_rate'] - self.candidate['success_rate']


def closed_loop(
    reference: PolicyBundle, candidate: PolicyBundle, episodes: int, seed: int
) -> ClosedLoop:
    """Evaluate both bundles in the built-in simulator: same scenes, seeds and latency."""
    from ..evaluation.closed_loop import EvalConfig, evaluate
    from ..evaluation.simulated_controller import SimulatedRunConfig

    run = SimulatedRunConfig(latency_ms=GATE_LATENCY_MS)
    cfg = EvalConfig(run=run, episodes=episodes, seed=seed)
    summaries = [evaluate(b, cfg, progress=False).summary() for b in (reference, candidate)]
    keep = ('success_rate', 'mode_share', 'switches_per_episode', 'inference_ms_p50')
    return ClosedLoop(episodes, seed, *({k: s[k] for k in keep} for s in summaries))
