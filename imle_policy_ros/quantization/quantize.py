# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`quantize`: an fp32 bundle -> an int8 or fp16 bundle that passed the quality gate.

Like `export`, the new bundle is built in a staging folder beside the destination and
moved into place only once the runtime's loader accepts it and the gate passes; a bundle
that fails leaves nothing behind, and the error gives the figures. policy.json records
the precision, the calibration data's hash and source, and the gate's figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
import shutil
import tempfile
import time

from .calibration import CalibrationData, load_calibration, SIMULATOR_CALIBRATION_SEED
from .config import QuantizeConfig
from .gate import action_error, ActionError, closed_loop, ClosedLoop
from .half import BF16_REFUSAL, convert_fp16, PrecisionRefused
from .int8 import encoder_feeds, generator_feeds, quantize_int8
from .sim_calibration import simulator_dataset, simulator_problem
from ..errors import Refusal
from ..runtime.bundle import file_sha256, load_bundle, PolicyBundle
from ..runtime.policy import OnnxPolicy
from ..runtime.policy_spec import ENCODER_FILE, FORMAT_VERSION, GENERATOR_FILE

NOISE_DRAWS = 8  # per calibration window (the generator's ranges depend on the noise too)
GATE_SAMPLES = 4  # noise draws per held-out window in the action-error gate


class QualityGateFailed(Refusal, RuntimeError):
    """The quantized bundle strays too far from fp32; the message gives the figures."""


@dataclass(frozen=True)
class QuantizeReport:
    output: Path
    precision: str
    provider: str
    calibration: dict
    error: ActionError
    loop: ClosedLoop | None
    seconds: float


def quantize(cfg: QuantizeConfig) -> QuantizeReport:
    """Quantize as `imle-policy-ros quantize` does; raises a Refusal naming what failed."""
    start = time.perf_counter()
    if cfg.precision == 'bf16':
        raise PrecisionRefused(BF16_REFUSAL)
    output = Path(cfg.output)
    if output.exists() and any(output.iterdir()) and not cfg.overwrite:
        raise FileExistsError(f'{output} exists and is not empty; pass --overwrite to replace it')
    providers, threads = cfg.inference.providers, cfg.inference.inference_threads
    reference = load_bundle(cfg.bundle, providers, threads)
    if reference.spec.precision != 'fp32':
        raise PrecisionRefused(
            f'{cfg.bundle} is already {reference.spec.precision}; quantize the fp32 bundle it '
            f'came from ({reference.spec.quantization.get("source_bundle", "its policy.json")})'
        )
    if reference.spec.is_diffusion:
        # Its generator takes the diffusion step too, and an error that compounds over 10 or
        # 100 calls would need its own gate: the calibration and gate here feed one call.
        raise PrecisionRefused(
            f'{cfg.bundle} is a diffusion bundle (the Diffusion Policy baseline): quantize '
            'takes rs_imle and mse bundles only'
        )
    if not reference.spec.cameras:
        # Its calibration would be state windows alone, and its generator is small enough
        # that the fp32 bundle already runs in a millisecond or two.
        raise PrecisionRefused(
            f'{cfg.bundle} has no cameras (a state policy): quantize takes camera bundles only'
        )
    data = _calibration_data(cfg, reference)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f'.{output.name}.quantize-', dir=output.parent))
    try:
        _write_networks(cfg.precision, reference, data, staging, cfg.seed)
        record = {
            'source_bundle': str(cfg.bundle),
            'calibration_sha256': data.sha256(),
            'calibration_source': data.source,
            'calibration_windows': len(data.calibration),
            'held_out_windows': len(data.held_out),
            'calibration_episodes': data.episodes[0],
            'held_out_episodes': data.episodes[1],
        }
        spec = replace(
            reference.spec,
            precision=cfg.precision,
            format_version=FORMAT_VERSION,  # written by this version, whatever it came from
            file_sha256={n: file_sha256(staging / n) for n in (ENCODER_FILE, GENERATOR_FILE)},
            quantization=record,
        )
        spec.write(staging)
        candidate = load_bundle(staging, providers, threads)
        error = action_error(reference, candidate, data.held_out, GATE_SAMPLES, cfg.seed)
        loop = None
        if cfg.eval_episodes and simulator_problem(spec) is None:
            loop = closed_loop(reference, candidate, cfg.eval_episodes, cfg.seed)
        _check_gate(cfg, error, loop)
        record['gate'] = {
            'action_error': error.to_dict(),
            'closed_loop': None if loop is None else _loop_record(loop),
        }
        replace(spec, quantization=record).write(staging)
        if output.exists():
            shutil.rmtree(output)
        staging.chmod(0o755)
        staging.rename(output)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return QuantizeReport(
        output,
        cfg.precision,
        candidate.generator_provider,
        record,
        error,
        loop,
        time.perf_counter() - start,
    )


def _calibration_data(cfg: QuantizeConfig, reference: PolicyBundle) -> CalibrationData:
    spec = reference.spec
    if cfg.calibration != 'sim':
        return load_calibration(
            cfg.calibration, spec, cfg.calibration_windows, cfg.held_out_windows, cfg.seed
        )
    with tempfile.TemporaryDirectory(prefix='imle-calibration-') as tmp:
        directory = simulator_dataset(spec, Path(tmp) / 'demos', cfg.simulator_episodes)
        data = load_calibration(
            directory, spec, cfg.calibration_windows, cfg.held_out_windows, cfg.seed
        )
    source = f'sim: {cfg.simulator_episodes} expert demos from seed {SIMULATOR_CALIBRATION_SEED}'
    return replace(data, source=source)


def _write_networks(
    precision: str, reference: PolicyBundle, data: CalibrationData, staging: Path, seed: int
) -> None:
    source = reference.path
    if precision == 'fp16':
        for name in (ENCODER_FILE, GENERATOR_FILE):
            convert_fp16(source / name, staging / name)
        return
    spec = reference.spec
    conditions = data.calibration.conditions(OnnxPolicy(reference))
    quantize_int8(
        source / ENCODER_FILE, staging / ENCODER_FILE, encoder_feeds(data.calibration.frames)
    )
    feeds = generator_feeds(
        conditions,
        (spec.pred_horizon, spec.action_dim),
        NOISE_DRAWS,
        seed,
        zero_noise=spec.training.objective == 'mse',
    )
    quantize_int8(source / GENERATOR_FILE, staging / GENERATOR_FILE, feeds)


def _loop_record(loop: ClosedLoop) -> dict:
    return {
        'episodes': loop.episodes,
        'seed': loop.seed,
        'fp32': loop.reference,
        'quantized': loop.candidate,
    }


def _check_gate(cfg: QuantizeConfig, error: ActionError, loop: ClosedLoop | None) -> None:
    problems = []
    if error.ratio > cfg.max_error_ratio:
        problems.append(
            f'mean action error {error.mean_normalized:.4f} (normalized) is '
            f'{error.ratio:.2f}x of the scale {error.scale:.4f} (bound {cfg.max_error_ratio}); '
            f'per dimension {describe_units(error)}'
        )
    if loop is not None and loop.success_drop > cfg.max_success_drop:
        problems.append(
            f'closed-loop success {loop.candidate["success_rate"]:.0%} against fp32 '
            f'{loop.reference["success_rate"]:.0%} over {loop.episodes} episodes (may fall '
            f'{cfg.max_success_drop:.0%} at most)'
        )
    if problems:
        raise QualityGateFailed(
            f'the {cfg.precision} bundle fails the quality gate, nothing written: '
            + '; '.join(problems)
            + '; calibrate on more or more varied data (--calibration, --calibration-windows),'
            ' or keep the fp32 bundle'
        )


def describe_units(error: ActionError) -> str:
    return ', '.join(
        f'{n} mean {m:.4g} p99 {p:.4g} max {x:.4g}'
        for n, m, p, x in zip(error.names, error.mean, error.p99, error.max)
    )
