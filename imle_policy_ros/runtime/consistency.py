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

Deviation, on purpose: when there is no meaningful reference (first call, call after a
reset, or consistency disabled) the reference still takes the argmin against a random
noise trajectory; `ConsistencySelector` returns index 0 instead. The N samples are i.i.d.
draws from the generator, so index 0 is an unbiased draw from the policy, while the
nearest-to-noise sample is biased toward chunks whose start lies near the origin of the
normalized action space (mid-range actions), which has nothing to do with the task.
All distances are computed on normalized actions, as in the reference.
"""

from __future__ import annotations

import numpy as np


def _check_samples(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples)
    if samples.ndim != 3 or samples.shape[0] == 0:
        raise ValueError(f'samples must be [N, T, D] with N >= 1, got shape {samples.shape}')
    return samples


def select_with_reference(samples: np.ndarray, reference: np.ndarray, offset: int = 0) -> int:
    """
    Index of the sample whose steps [offset, offset+L) are closest to reference [L, D].

    Euclidean distance of the flattened segments (argmin of the squared distance is the same
    index); computed in float64 so near-ties are not decided by float32 rounding. Ties go to
    the lowest index. `offset` lets a time-aligned caller compare against the part of a new
    chunk that overlaps the remainder of the old one in time.
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
    segment = samples[:, offset : offset + length].reshape(samples.shape[0], -1).astype(np.float64)
    diff = segment - reference.reshape(1, -1).astype(np.float64)
    return int(np.argmin(np.einsum('ij,ij->i', diff, diff)))  # np.argmin: first minimum wins


def select_closest(samples: np.ndarray, reference: np.ndarray) -> int:
    """The reference rule: compare samples[:, :L] with reference [L, D] (L = len(reference))."""
    return select_with_reference(samples, reference, offset=0)


class ConsistencySelector:
    """
    Stateful selection across consecutive inferences, following the reference schedule.

    Not thread-safe: one inference loop owns it.
    """

    def __init__(self, action_horizon: int, reset_every: int = 5, enabled: bool = True):
        if action_horizon < 1:
            raise ValueError(f'action_horizon must be >= 1, got {action_horizon}')
        if reset_every < 0:
            raise ValueError(
                f'reset_every must be >= 0 (0 = never drop the reference), got {reset_every}'
            )
        self.action_horizon = int(action_horizon)
        self.reset_every = int(reset_every)
        self.enabled = bool(enabled)
        self.reset()

    def reset(self) -> None:
        """Forget the previous chunk and restart the counter (new episode, new model)."""
        self._previous: np.ndarray | None = None
        self._count = 0

    @property
    def has_reference(self) -> bool:
        """Whether the next `select` compares against a previous chunk."""
        return self.enabled and self._previous is not None

    @property
    def calls(self) -> int:
        return self._count

    def reference(self, pred_horizon: int) -> np.ndarray | None:
        """The not-yet-executed part of the previous chunk, or None."""
        if not self.has_reference or self._previous.shape[0] != pred_horizon:
            return None
        return self._previous[self.action_horizon :]

    def select(
        self, samples_normalized: np.ndarray, rng: np.random.Generator | None = None
    ) -> int:
        """
        Pick the sample to execute and update the state.

        `rng` is accepted for interface stability but not used: without a reference the
        choice is index 0 (see the module docstring), which needs no randomness.
        """
        samples = _check_samples(samples_normalized)
        pred_horizon = samples.shape[1]
        if self.action_horizon > pred_horizon:
            raise ValueError(
                f'action_horizon {self.action_horizon} exceeds the chunk length {pred_horizon}'
            )
        self._count += 1  # the reference increments before selecting: first call is 1
        reference = self.reference(pred_horizon)
        if reference is None or reference.shape[0] == 0:
            index = 0  # no reference (or nothing left unexecuted to compare): unbiased draw
        else:
            index = select_closest(samples, reference)
        if self.enabled:
            self._previous = np.array(samples[index], copy=True)
            if self.reset_every and self._count % self.reset_every == 0:
                self._previous = None  # the reference replaces prev_traj with noise here
        return index
