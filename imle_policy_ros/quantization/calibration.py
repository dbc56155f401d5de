# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Real inputs for calibration and for the quality gate: observation windows of a dataset.

A window is what one inference sees: the obs_horizon most recent frames of every camera
(prepared as the runtime prepares them) and states. Episodes are split, not windows, so
the held-out windows come from episodes calibration never saw (neighbouring windows of one
episode are nearly the same observation). The built-in simulator can supply the dataset
for its own models (`simulator_dataset`), from scenes far from evaluation's.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from pathlib import Path

import numpy as np

from ..data.episode_store import EpisodeStore
from ..errors import Refusal
from ..runtime.policy import OnnxPolicy
from ..runtime.policy_spec import PolicySpec
from ..runtime.preprocess import prepare_frame

# sim-demos scenes for calibration: away from the training seeds (0..) and from
# evaluation's (evaluation.closed_loop.EVAL_SEED_BASE = 1e6).
SIMULATOR_CALIBRATION_SEED = 500_000


class CalibrationError(Refusal, ValueError):
    """Calibration data that does not fit the bundle; the message says what to give instead."""


@dataclass(frozen=True)
class Windows:
    """Observation windows: frames uint8 [W, To, C, h, w, 3] states [W, To, S]."""

    frames: np.ndarray
    states: np.ndarray

    def __len__(self) -> int:
        return len(self.states)

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for array in (self.frames, self.states):
            digest.update(str(array.shape).encode())
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()

    def conditions(self, policy: OnnxPolicy) -> np.ndarray:
        """Return the generator condition of every window, [W, condition_dim], via `policy`."""
        spec = policy.spec
        count, horizon, cameras = self.frames.shape[:3]
        images = self.frames.reshape(-1, *self.frames.shape[3:])
        (features,) = policy.bundle.encoder.run(
            [policy.bundle.features_output], {policy.bundle.image_input: images}
        )
        features = features.reshape(count, horizon, cameras, spec.feature_dim)
        return np.stack([policy.condition(f, s) for f, s in zip(features, self.states)])


@dataclass(frozen=True)
class CalibrationData:
    calibration: Windows
    held_out: Windows
    source: str  # the dataset it came from
    episodes: tuple[int, int]  # calibration episodes, held-out episodes

    def sha256(self) -> str:
        """Hash of both sets, as policy.json records it."""
        return hashlib.sha256(
            (self.calibration.sha256() + self.held_out.sha256()).encode()
        ).hexdigest()


def check_dataset_fits(store: EpisodeStore, spec: PolicySpec, source: str) -> None:
    meta = store.meta
    missing = [c.name for c in spec.cameras if c.name not in meta.camera_names]
    problems = []
    if missing:
        problems.append(f'it has no camera {missing} (it has {list(meta.camera_names)})')
    if tuple(meta.state_names) != tuple(spec.state_names):
        problems.append(
            f'its states are {list(meta.state_names)}, the bundle reads {list(spec.state_names)}'
        )
    if problems:
        raise CalibrationError(
            f'{source}: not data of this bundle: {"; ".join(problems)}; give the dataset the '
            f'model was trained on (or one recorded the same way)'
        )
    if len(store) < 2:
        raise CalibrationError(
            f'{source}: {len(store)} episode; calibration needs at least 2 (one to calibrate '
            f'on, one held out to judge the result)'
        )


def read_windows(
    store: EpisodeStore, spec: PolicySpec, episodes: range, limit: int, seed: int
) -> Windows:
    """Return at most `limit` windows of `episodes`, drawn evenly over them."""
    cameras = spec.taking_dataset_frames().cameras  # dataset depth is stored as grey already
    horizon = spec.obs_horizon
    places = []
    for k in episodes:
        length = store.episode_lengths[k]
        places += [(k, t) for t in range(length)]
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(len(places), size=min(limit, len(places)), replace=False))
    frames, states = [], []
    by_episode: dict[int, object] = {}
    for i in chosen:
        k, t = places[i]
        episode = by_episode.get(k) or by_episode.setdefault(k, store.episode(k))
        steps = np.clip(np.arange(t - horizon + 1, t + 1), 0, None)
        frames.append(
            [
                [prepare_frame(np.asarray(episode.images[c.name][s]), c) for c in cameras]
                for s in steps
            ]
        )
        states.append(np.asarray(episode.states[steps], np.float32))
    return Windows(np.asarray(frames, np.uint8), np.asarray(states, np.float32))


def load_calibration(
    dataset: str | Path, spec: PolicySpec, windows: int, held_out: int, seed: int = 0
) -> CalibrationData:
    """
    Split the dataset's episodes (the last quarter, at least one, held out) and read windows.

    windows / held_out: how many windows each set gets at most.
    """
    source = str(dataset)
    try:
        store = EpisodeStore.open(dataset)
    except (OSError, ValueError) as exc:
        raise CalibrationError(
            f'{source}: cannot read it as a dataset ({exc}); give a directory written by '
            f'`imle-policy-ros dataset` or `sim-demos`, or --calibration sim'
        ) from exc
    check_dataset_fits(store, spec, source)
    count = len(store)
    split = count - max(1, count // 4)
    return CalibrationData(
        calibration=read_windows(store, spec, range(split), windows, seed),
        held_out=read_windows(store, spec, range(split, count), held_out, seed + 1),
        source=source,
        episodes=(split, count - split),
    )
