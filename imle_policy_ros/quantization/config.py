# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""QuantizeConfig: what `quantize` writes, what it calibrates on, and the gate it must pass."""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.sessions import InferenceConfig
from ..settings import check_settings, nested, setting

# bf16 is accepted on the command line so that asking for it gets the reason it is refused.
REQUESTABLE_PRECISIONS = ('int8', 'fp16', 'bf16')


@dataclass(frozen=True)
class QuantizeConfig:
    bundle: str = setting(description='the fp32 bundle directory', positional=True)
    output: str = setting(description='the new bundle directory', short='-o')
    precision: str = setting(
        'int8',
        'int8: ONNX Runtime static quantization (QDQ, per-channel weights), for CPUs; fp16: '
        'for GPU providers',
        choices=REQUESTABLE_PRECISIONS,
    )
    calibration: str = setting(
        'sim',
        "int8 ranges and the gate's held-out windows: a dataset directory recorded like the "
        "training data, or sim: fresh expert demos (the built-in simulator's own models)",
        metavar='DATASET|sim',
    )
    calibration_windows: int = setting(
        256, 'observation windows int8 takes its ranges from', min=8, max=100_000
    )
    held_out_windows: int = setting(
        256, 'windows of episodes calibration never saw, for the action-error gate', min=8
    )
    simulator_episodes: int = setting(
        24, 'with --calibration sim: expert demos to draw (a quarter are held out)', min=4
    )
    max_error_ratio: float = setting(
        0.5,
        'gate: the mean action error against the fp32 bundle (same noise), as a fraction of '
        "the fp32 bundle's own change when its noise is drawn again; a deterministic (MSE) "
        'bundle is held to 1% of its action range instead',
        min=0.0,
    )
    eval_episodes: int = setting(
        100,
        'gate: closed-loop episodes of both bundles on the same scenes (built-in simulator '
        'models only; 0: skip)',
        min=0,
    )
    max_success_drop: float = setting(
        0.05, 'gate: how far closed-loop success may fall below the fp32 bundle', min=0.0, max=1.0
    )
    inference: InferenceConfig = nested(InferenceConfig)
    seed: int = setting(0, 'picks calibration windows, noise draws and evaluation scenes', min=0)
    overwrite: bool = setting(False, 'replace an existing bundle')

    def __post_init__(self) -> None:
        check_settings(self)
