# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The temporal-consistency rule against a literal torch re-statement of the reference.

The reference implementation: krishanrana/imle_policy evaluation scripts.
"""

from __future__ import annotations

from imle_policy_ros.runtime.consistency import (
    aligned_reference,
    choose,
    reference_due,
    select_closest,
    select_with_reference,
)
import numpy as np
import pytest
import torch

N, T, D, ACTION_HORIZON, RESET_EVERY = 32, 16, 2, 8, 5


def reference_pick(prev_traj: torch.Tensor, naction: torch.Tensor) -> int:
    """Return the reference's selection, as written there (prev [1,T,D], naction [N,T,D])."""
    prev_traj_end = prev_traj[:, 8:].reshape(1, -1)
    gen_traj_start = naction[:, :8].reshape(naction.shape[0], -1)
    distances = torch.cdist(gen_traj_start, prev_traj_end)
    min_dist, min_idx = distances.min(dim=0)
    return int(min_idx)


def test_select_closest_matches_reference_on_random_inputs():
    rng = np.random.default_rng(0)
    for _ in range(200):
        samples = rng.standard_normal((N, T, D)).astype(np.float32)
        prev = rng.standard_normal((1, T, D)).astype(np.float32)
        expected = reference_pick(torch.from_numpy(prev), torch.from_numpy(samples))
        assert select_closest(samples, prev[0, ACTION_HORIZON:]) == expected


def test_ties_go_to_lowest_index():
    samples = np.zeros((4, 6, 2), np.float32)
    samples[0] += 5.0
    assert select_closest(samples, np.zeros((3, 2))) == 1


def test_select_with_reference_offset():
    samples = np.zeros((3, 10, 1), np.float32)
    samples[2, 4:7] = 1.0
    assert select_with_reference(samples, np.ones((3, 1)), offset=4) == 2
    assert select_with_reference(samples, np.ones((3, 1)), offset=0) == 0  # all equal: first
    with pytest.raises(ValueError, match='does not fit'):
        select_with_reference(samples, np.ones((3, 1)), offset=8)
    with pytest.raises(ValueError, match='reference must be'):
        select_with_reference(samples, np.ones((3, 2)))


def reference_loop(batches):
    """
    Drive the pure functions the way PolicyController does, with instantaneous inference.

    Each chunk's remainder (what it had not executed) is the next reference unless the
    schedule drops it; the chosen chunk is kept as the running one.
    """
    chosen, running, since_reset = [], None, 0
    for batch in batches:
        reference = None
        if running is not None and reference_due(since_reset, RESET_EVERY):
            reference = running[ACTION_HORIZON:]
        elif running is not None:
            since_reset = 0
        index = choose(batch, reference)
        chosen.append((index, reference is not None))
        running, since_reset = batch[index], since_reset + 1
    return chosen


def test_reset_schedule_matches_reference_counter():
    """Check which calls compare against a real previous chunk, as in the reference's loop."""
    calls = 23
    # Reference: infer_idx += 1 before selecting; prev_traj starts as noise and becomes noise
    # again after the selection of a call with infer_idx % 5 == 0.
    prev_is_chunk, expected = False, []
    for infer_idx in range(1, calls + 1):
        expected.append(prev_is_chunk)
        prev_is_chunk = infer_idx % RESET_EVERY != 0
    rng = np.random.default_rng(1)
    got = [ref for _, ref in reference_loop(rng.standard_normal((calls, N, T, D)))]
    assert got == expected
    assert [k for k, ref in enumerate(got, 1) if not ref] == [1, 6, 11, 16, 21]


def test_selection_sequence_matches_reference_loop():
    """
    Whole loop: the same samples fed to the literal reference loop and to the rule here.

    The one documented deviation is restated in the reference loop: where the reference
    compares against noise (no previous chunk), index 0 is taken.
    """
    rng = np.random.default_rng(2)
    batches = [rng.standard_normal((N, T, D)).astype(np.float32) for _ in range(30)]

    expected = []
    prev_traj, prev_is_noise, infer_idx = torch.randn((1, T, D)), True, 0
    for batch in batches:
        infer_idx += 1
        naction = torch.from_numpy(batch)
        min_idx = 0 if prev_is_noise else reference_pick(prev_traj, naction)
        expected.append(min_idx)
        if infer_idx % 5 == 0:
            prev_traj, prev_is_noise = torch.randn((1, T, D)), True
        else:
            prev_traj, prev_is_noise = naction[min_idx][None], False

    got = [index for index, _ in reference_loop(batches)]
    assert got == expected
    assert any(i != 0 for i in got)  # the comparison did pick other samples


def test_never_reset_when_reset_every_is_zero():
    assert all(reference_due(k, 0) for k in range(100))
    assert [reference_due(k, 3) for k in range(5)] == [True, True, True, False, False]
    with pytest.raises(ValueError, match='reset_every'):
        reference_due(0, -1)


def test_choose_without_reference_is_the_first_sample():
    rng = np.random.default_rng(3)
    assert choose(rng.standard_normal((N, T, D))) == 0
    assert choose(rng.standard_normal((N, T, D)), np.zeros((0, D))) == 0


def test_aligned_reference_is_the_running_chunk_at_the_new_times():
    running_times = np.arange(8) * 0.1  # 0.0 .. 0.7 s
    running = np.stack([np.arange(8.0), -np.arange(8.0)], axis=1)
    new_times = 0.45 + np.arange(6) * 0.1  # 0.45 .. 0.95 s: the first three overlap
    reference, offset = aligned_reference(new_times, running_times, running)
    assert offset == 0
    np.testing.assert_allclose(reference, [[4.5, -4.5], [5.5, -5.5], [6.5, -6.5]])
    later = aligned_reference(new_times - 0.6, running_times, running)  # -0.15 .. 0.35 s
    assert later[1] == 2 and later[0].shape == (4, 2)
    assert aligned_reference(new_times + 1.0, running_times, running) is None


def test_bad_arguments():
    with pytest.raises(ValueError, match=r'\[N, T, D\]'):
        select_closest(np.zeros((16, 2)), np.zeros((8, 2)))
    with pytest.raises(ValueError, match=r'\[N, T, D\]'):
        choose(np.zeros((16, 2)))


def test_weights_decide_which_dimensions_count():
    from imle_policy_ros.runtime.consistency import choose

    reference = np.zeros((2, 2))
    samples = np.array([[[0.0, 5.0], [0.0, 5.0]], [[1.0, 0.0], [1.0, 0.0]]])
    assert choose(samples, reference) == 1  # unweighted: dim 1 dominates
    assert choose(samples, reference, weights=np.array([1.0, 0.0])) == 0
