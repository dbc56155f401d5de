# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""ExportConfig: what `export` writes from a checkpoint, and how close ONNX must be to torch."""

from __future__ import annotations

from dataclasses import dataclass

from ..runtime.policy_spec import DEFAULT_DIFFUSION_SAMPLER, DIFFUSION_SAMPLERS
from ..settings import check_settings, setting

# ONNX Runtime against torch on the same inputs, max abs difference of features and chunks.
PARITY_TOLERANCE = 1e-4


@dataclass(frozen=True)
class ExportConfig:
    checkpoint: str = setting(description='a .pt checkpoint from train', positional=True)
    output: str = setting(description='bundle directory, e.g. models/my_task', short='-o')
    raw_weights: bool = setting(False, 'export the raw weights, not the EMA')
    tolerance: float = setting(
        PARITY_TOLERANCE, 'parity bound: export fails above this max abs difference', min=0.0
    )
    overwrite: bool = setting(False, 'replace an existing bundle')
    diffusion_sampler: str = setting(
        DEFAULT_DIFFUSION_SAMPLER,
        'diffusion checkpoints: the sampler the bundle runs by default (the runtime may '
        'choose the other): ddim10 (10 UNet calls per chunk) or ddpm100 (100)',
        choices=DIFFUSION_SAMPLERS,
    )

    def __post_init__(self) -> None:
        check_settings(self)
