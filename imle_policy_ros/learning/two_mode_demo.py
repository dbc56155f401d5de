# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Train, export and sample IMLE and the MSE baseline on the two-mode toy dataset.

Used by README's first command (examples/two_modes.py) and by the end-to-end test, so
what the README shows is what CI checks. Goes through the real trainer (with the config
the `train` command builds), exporter and runtime.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .export import export_bundle
from .train import train, TrainConfig
from ..data.two_mode_toy import classify_chunks, write_two_mode_dataset
from ..runtime import load_bundle, OnnxPolicy

# A model small enough to train in seconds on a CPU, on a schedule that fits that.
SMALL_MODEL = {
    'obs_horizon': 1,
    'pred_horizon': 8,
    'action_horizon': 1,
    'encoder_width': 4,
    'down_dims': (32, 64),
    'batch_size': 32,
    'warmup_steps': 30,
    'lr': 1e-3,
    'ema_decay': 0.99,
}


def train_export_sample(
    dataset: Path,
    workdir: Path,
    objective: str,
    steps: int = 300,
    samples: int = 200,
    seed: int = 0,
    progress: bool = False,
) -> dict:
    run, bundle_dir = workdir / objective, workdir / f'{objective}_bundle'
    checkpoint = train(
        TrainConfig(
            dataset=str(dataset),
            output_dir=str(run),
            objective=objective,
            steps=steps,
            checkpoint_every=steps,
            seed=seed,
            progress=progress,
            **SMALL_MODEL,
        )
    )
    export_bundle(checkpoint, bundle_dir, overwrite=True)
    bundle = load_bundle(bundle_dir)
    policy = OnnxPolicy(bundle, seed=seed + 1)
    frame = np.full((*bundle.spec.cameras[0].model_input_hw, 3), 128, np.uint8)
    features = policy.encode(0, frame)[None, None]  # [obs_horizon=1, cameras=1, F]
    condition = policy.condition(features, np.zeros((1, 2), np.float32))
    chunks = bundle.spec.action_stats.unnormalize(policy.sample(condition, samples))
    return classify_chunks(chunks)


def run_demo(workdir: Path, steps: int = 300, seed: int = 0, progress: bool = False) -> dict:
    workdir = Path(workdir)
    dataset = workdir / 'data'
    if not dataset.exists():
        write_two_mode_dataset(dataset, episodes=64, seed=seed)
    return {
        objective: train_export_sample(
            dataset, workdir, objective, steps, seed=seed, progress=progress
        )
        for objective in ('rs_imle', 'mse')
    }
