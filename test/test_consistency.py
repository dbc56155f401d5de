# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The temporal-consistency rule against a literal torch re-statement of the reference
implementation (krishanrana/imle_policy evaluation scripts).
"""

from __future__ import annotations

from imle_policy_ros.runtime import ConsistencySelector, select_closest, select_with_reference
import numpy as np
import pytest
import torch

N, T, D, ACTION_HORIZON, RESET_EVERY = 32, 16, 2, 8, 5


def reference_pick(prev_traj: torch.Tensor, naction: torch.Tensor) -> int:
    """The reference's selection, as written there (prev [1,T,D], naction [N,T,D])."""
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


def test_reset_schedule_matches_reference_counter():
    """Which calls compare against a real previous chunk, in the reference's loop."""
    calls = 23
    # Reference: infer_idx += 1 before selecting; prev_traj starts as noise and becomes noise
    # again after the selection of a call with infer_idx % 5 == 0.
    prev_is_chunk, expected = False, []
    for infer_idx in range(1, calls + 1):
        expected.append(prev_is_chunk)
        prev_is_chunk = infer_idx % RESET_EVERY != 0
    selector = ConsistencySelector(ACTION_HORIZON, RESET_EVERY)
    rng = np.random.default_rng(1)
    got = []
    for _ in range(calls):
        got.append(selector.has_reference)
        selector.select(rng.standard_normal((N, T, D)), rng)
    assert got == expected
    assert [k for k, ref in enumerate(got, 1) if not ref] == [1, 6, 11, 16, 21]


def test_selector_sequence_matches_reference_loop():
    """
    Whole loop: same samples fed to the literal reference loop and to the selector.

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

    selector = ConsistencySelector(ACTION_HORIZON, RESET_EVERY)
    got = [selector.select(batch) for batch in batches]
    assert got == expected
    assert any(i != 0 for i in got)  # the comparison did pick other samples


def test_disabled_and_reset():
    selector = ConsistencySelector(ACTION_HORIZON, RESET_EVERY, enabled=False)
    rng = np.random.default_rng(3)
    assert all(selector.select(rng.standard_normal((N, T, D))) == 0 for _ in range(7))
    assert not selector.has_reference

    selector = ConsistencySelector(ACTION_HORIZON, RESET_EVERY)
    selector.select(rng.standard_normal((N, T, D)))
    assert selector.has_reference and selector.calls == 1
    selector.reset()
    assert not selector.has_reference and selector.calls == 0


def test_never_reset_when_reset_every_is_zero():
    selector = ConsistencySelector(ACTION_HORIZON, reset_every=0)
    rng = np.random.default_rng(4)
    selector.select(rng.standard_normal((N, T, D)))
    for _ in range(12):
        assert selector.has_reference
        selector.select(rng.standard_normal((N, T, D)))


def test_bad_arguments():
    with pytest.raises(ValueError):
        ConsistencySelector(0)
    with pytest.raises(ValueError):
        ConsistencySelector(8, reset_every=-1)
    with pytest.raises(ValueError, match='exceeds'):
        ConsistencySelector(20).select(np.zeros((2, 16, 2)))
    with pytest.raises(ValueError, match=r'\[N, T, D\]'):
        select_closest(np.zeros((16, 2)), np.zeros((8, 2)))
