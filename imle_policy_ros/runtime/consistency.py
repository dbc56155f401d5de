# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Temporal consistency: which of the N generated chunks to execute.

IMLE Policy draws N chunks in one batch for the same observation. They may come from
different modes of the demonstrations (go left / go right around an obstacle); switching
mode at every chunk makes the arm dither. The reference implementation
(krishanrana/imle_policy, evaluation scripts) therefore executes the sample whose start is
closest to what the previous chunk had not yet executed:

    prev_end  = prev_traj[:, action_horizon:]            # not yet executed, L steps
    starts    = naction[:, :L]                           # L = pred_horizon - action_horizon
    idx       = argmin_i || flatten(starts[i]) - flatten(prev_end) ||_2
    prev_traj = naction[idx]

with an inference counter that starts at 1; after the selection of call k, if
k % reset_every == 0 (reference: 5), prev_traj is replaced by Gaussian noise, so the policy
may change its mind every few chunks. The first selection has no previous chunk either
(the reference starts from noise too).

The rule is written here once, as pure functions that PolicyController calls:
- `reference_due`: the reset schedule (is this selection compared with the running chunk?);
- `aligned_reference`: what to compare with, in time rather than in steps: the running
  chunk evaluated at the new chunk's waypoint times. With instantaneous inference started
  exactly action_horizon steps after the previous observation this is prev_end above;
  with real latency it is the part of the running chunk that the new one really overlaps;
- `choose`: the selection itself (`select_closest` is the reference's own form of it).

Deviation, on purpose: when there is no meaningful reference (first call, call after a
reset, or consistency disabled) the reference still takes the argmin against a random
noise trajectory; `choose` returns index 0 instead. The N samples are i.i.d. draws from
the generator, so index 0 is an unbiased draw from the policy, while the nearest-to-noise
sample is biased toward chunks whose start lies near the origin of the normalized action
space (mid-range actions), which has nothing to do with the task. All distances are
computed on normalized actions, as in the reference.
"""

from __future__ import annotations

import numpy as np


def _check_samples(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim != 3 or samples.shape[0] == 0:
        raise ValueError(f'samples must be [N, T, D] with N >= 1, got shape {samples.shape}')
    return samples


def select_with_reference(
    samples: np.ndarray,
    reference: np.ndarray,
    offset: int = 0,
    weights: np.ndarray | None = None,
) -> int:
    """
    Index of the sample whose steps [offset, offset+L) are closest to reference [L, D].

    Euclidean distance of the flattened segments (argmin of the squared distance is the same
    index); computed in float64 so near-ties are not decided by float32 rounding. Ties go to
    the lowest index. `offset` lets a time-aligned caller compare against the part of a new
    chunk that overlaps the remainder of the old one in time. `weights` [D] scale each
    dimension's squared difference (an end-effector layout gives position, rotation and
    gripper the same say, ee_layout.consistency_weights); None: all 1, the reference rule.
    """
    samples = _check_samples(samples)
    reference = np.asarray(reference)
    if reference.ndim != 2 or reference.shape[1] != samples.shape[2]:
        raise ValueError(f'reference must be [L, {samples.shape[2]}], got shape {reference.shape}')
    length = reference.shape[0]
    if offset < 0 or offset + length > samples.shape[1]:
        raise ValueError(
            f'reference of {length} steps at offset {offset} does not fit in '
            f'chunks of {samples.shape[1]} steps'
        )
    end = offset + length
    diff = samples[:, offset:end].astype(np.float64) - reference[None].astype(np.float64)
    squared = diff * diff
    if weights is not None:
        squared = squared * np.asarray(weights, dtype=np.float64).reshape(1, 1, -1)
    return int(np.argmin(squared.reshape(len(samples), -1).sum(axis=1)))  # first minimum wins


def select_closest(samples: np.ndarray, reference: np.ndarray) -> int:
    """
    Select by the reference rule: the index of the sample closest to `reference`.

    The reference rule: compare samples[:, :L] with reference [L, D] (L = len(reference)).
    """
    return select_with_reference(samples, reference, offset=0)


def reference_due(chunks_since_reset: int, reset_every: int) -> bool:
    """
    Tell whether the next selection compares with the running chunk (the reset schedule).

    `chunks_since_reset` counts the chunks chosen since the reference was last dropped;
    when it reaches `reset_every` the next selection goes without one (and the count
    starts again), as the reference's counter does every `reset_every` calls. 0: never
    drop it.
    """
    if reset_every < 0:
        raise ValueError(
            f'reset_every must be >= 0 (0 = never drop the reference), got {reset_every}'
        )
    return reset_every == 0 or chunks_since_reset < reset_every


def aligned_reference(
    new_times: np.ndarray, running_times: np.ndarray, running_actions: np.ndarray
) -> tuple[np.ndarray, int] | None:
    """
    Return the running chunk at the new chunk's waypoint times, and where that starts.

    new_times [P]: when each waypoint of the chunk about to be chosen is due; running_times
    [K] and running_actions [K, D]: the chunk being executed. The result is the running
    chunk linearly interpolated at the new waypoint times that fall within it ([L, D]) and
    the index of the first such waypoint, for `choose`; None when they do not overlap.
    """
    new_times = np.asarray(new_times, dtype=np.float64)
    running_times = np.asarray(running_times, dtype=np.float64)
    running_actions = np.asarray(running_actions, dtype=np.float64)
    inside = (new_times >= running_times[0] - 1e-9) & (new_times <= running_times[-1] + 1e-9)
    overlap = np.nonzero(inside)[0]
    if overlap.size == 0:
        return None
    at = new_times[overlap]
    reference = np.stack(
        [
            np.interp(at, running_times, running_actions[:, j])
            for j in range(running_actions.shape[1])
        ],
        axis=1,
    )
    return reference, int(overlap[0])


def choose(
    samples: np.ndarray,
    reference: np.ndarray | None = None,
    offset: int = 0,
    weights: np.ndarray | None = None,
) -> int:
    """Return the sample to execute: the closest to `reference`, or 0 without one."""
    samples = _check_samples(samples)
    if reference is None or len(reference) == 0:
        return 0  # an unbiased draw (see the module docstring)
    return select_with_reference(samples, reference, offset, weights)
