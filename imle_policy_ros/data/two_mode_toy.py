# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A toy dataset with two equally good answers to one observation.

Every episode sees the same image and the same joint state, and its action chunk moves
either up-left or up-right (chosen at random). A regressor must average the two and goes
straight up, which no demonstration ever did; a generative policy should produce both
directions, each close to the demonstrations. It is the smallest proof that IMLE works.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .episode_store import DatasetMeta, Episode, EpisodeStore, write_dataset_atomically

DIRECTIONS = {'left': np.array([-1.0, 1.0]), 'right': np.array([1.0, 1.0])}


def ideal_chunk(direction: str, length: int) -> np.ndarray:
    """[length, 2]: positions along the direction, one step of 1/length per action."""
    steps = np.arange(1, length + 1, dtype=np.float32)[:, None] / length
    return (steps * DIRECTIONS[direction]).astype(np.float32)


def write_two_mode_dataset(
    root: str | Path,
    episodes: int = 64,
    length: int = 8,
    image_size: int = 16,
    noise: float = 0.01,
    seed: int = 0,
) -> EpisodeStore:
    """
    Write the two-mode toy dataset at `root`: episodes of exactly `length` steps.

    With obs_horizon 1, pred_horizon = length and action_horizon 1, each episode is one
    training window, so the data hold exactly two modes.
    """
    rng = np.random.default_rng(seed)
    meta = DatasetMeta(
        rate_hz=10.0,
        cameras=[{'name': 'cam', 'height': image_size, 'width': image_size}],
        state_names=['x', 'y'],
        action_names=['x', 'y'],
        action_kind='joint_position',
        source={'generator': 'two_mode_toy', 'seed': seed},
    )
    image = np.full((length, image_size, image_size, 3), 128, dtype=np.uint8)

    def make(i: int) -> Episode:
        direction = 'left' if rng.random() < 0.5 else 'right'
        actions = ideal_chunk(direction, length) + rng.normal(0, noise, (length, 2)).astype(
            np.float32
        )
        return Episode(
            images={'cam': image},
            states=np.zeros((length, 2), np.float32),
            actions=actions,
            stamps=np.arange(length) / meta.rate_hz,
            name=f'toy_{i}_{direction}',
        )

    return write_dataset_atomically(root, meta, (make(i) for i in range(episodes)))


def classify_chunks(chunks: np.ndarray) -> dict:
    """
    Return the shares of chunks [N, T, 2] ending left / right / in between.

    Also the mean distance of each chunk to the nearest ideal chunk (the per-step RMS, in
    action units).
    """
    length = chunks.shape[1]
    end_x = chunks[:, -1, 0]
    ideal = np.stack([ideal_chunk(d, length) for d in DIRECTIONS])  # [2, T, 2]
    rms = np.sqrt(((chunks[:, None] - ideal[None]) ** 2).sum(-1).mean(-1))  # [N, 2]
    return {
        'left': float(np.mean(end_x < -0.5)),
        'right': float(np.mean(end_x > 0.5)),
        'between': float(np.mean(np.abs(end_x) <= 0.5)),
        'mean_distance_to_nearest_mode': float(rms.min(axis=1).mean()),
        'mean_abs_end_x': float(np.abs(end_x).mean()),
    }
