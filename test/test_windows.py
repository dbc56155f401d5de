# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Training windows: index arithmetic by hand, normalization, item shapes, edge padding, crops."""

from __future__ import annotations

import pickle

from imle_policy_ros.data import CameraMeta, DatasetMeta, Episode, EpisodeStore
from imle_policy_ros.learning.augment import random_crop
from imle_policy_ros.learning.windows import ChunkWindows, window_indices
from imle_policy_ros.runtime.normalization import MinMaxStats
import numpy as np
import pytest
import torch

H, W = 6, 8


def make_meta() -> DatasetMeta:
    return DatasetMeta(
        rate_hz=10.0,
        cameras=(CameraMeta('front', H, W), CameraMeta('wrist', H, W)),
        state_names=('j1', 'j2'),
        action_names=('a1', 'a2', 'a3'),
        action_kind='joint_position',
    )


def make_episode(length: int, first_step: int) -> Episode:
    """Every value encodes its global step number, so a window's content reveals its indices."""
    steps = np.arange(first_step, first_step + length)
    images = {
        c: np.broadcast_to(
            (steps % 256).astype(np.uint8)[:, None, None, None], (length, H, W, 3)
        ).copy()
        for c in ('front', 'wrist')
    }
    images['wrist'][:, 0, 0, 0] = 255 - images['wrist'][:, 0, 0, 0]  # cameras must not be swapped
    return Episode(
        images=images,
        states=np.stack([steps, -steps], axis=1).astype(np.float32),
        actions=np.stack([steps, 2 * steps, 3 * steps], axis=1).astype(np.float32),
        stamps=0.1 * np.arange(length),
        name=f'ep{first_step}',
    )


def test_window_indices_one_episode_by_hand():
    # L=5, To=2, Tp=4, Ta=2: starts -1..2 (pad_before 1, pad_after 1).
    got = window_indices([5], obs_horizon=2, pred_horizon=4, action_horizon=2)
    expected = np.array([[0, 0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 4]])
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int64


def test_window_indices_two_episodes_never_cross():
    got = window_indices([5, 3], obs_horizon=2, pred_horizon=4, action_horizon=2)
    # Second episode (steps 5..7, L=3): starts -1..0.
    expected = np.array(
        [[0, 0, 1, 2], [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 4], [5, 5, 6, 7], [5, 6, 7, 7]]
    )
    np.testing.assert_array_equal(got, expected)
    # Too short for any window: L=1 with To=1, Tp=4, Ta=1 needs L >= 4.
    np.testing.assert_array_equal(window_indices([1, 4], 1, 4, 1), [[1, 2, 3, 4]])
    assert window_indices([], 2, 4, 2).shape == (0, 4)


def test_window_indices_larger_random_cases_stay_inside_episodes():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 40, size=20)
    idx = window_indices(lengths, 2, 16, 8)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    ep = np.searchsorted(offsets, idx, side='right') - 1
    assert (ep == ep[:, :1]).all()
    # Count per episode = max(0, L - Tp + pad_after + pad_before + 1).
    assert len(idx) == sum(max(0, L - 16 + 7 + 1 + 1) for L in lengths)
    assert (np.diff(idx, axis=1) >= 0).all() and (np.diff(idx, axis=1) <= 1).all()


def test_window_indices_rejects_bad_horizons():
    with pytest.raises(ValueError, match='obs_horizon'):
        window_indices([5], 5, 4, 2)
    with pytest.raises(ValueError, match='action_horizon'):
        window_indices([5], 2, 4, 5)


@pytest.fixture(params=['ram', 'mmap'])
def windows(request, tmp_path):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    store.append(make_episode(5, 0))
    store.append(make_episode(3, 5))
    max_ram = 2 << 30 if request.param == 'ram' else 0
    ds = ChunkWindows(EpisodeStore.open(tmp_path / 'ds'), 2, 4, 2, max_ram_bytes=max_ram)
    assert ds.in_ram == (request.param == 'ram')
    return ds


def test_items_shapes_dtypes_and_content(windows):
    assert len(windows) == 6 and windows.num_episodes == 2
    assert (
        windows.state_dim == 2 and windows.action_dim == 3 and windows.image_hw('front') == (H, W)
    )
    expected = window_indices([5, 3], 2, 4, 2)
    for i in range(len(windows)):
        item = windows[i]
        assert set(item['images']) == {'front', 'wrist'}
        for img in item['images'].values():
            assert img.dtype == torch.uint8 and img.shape == (2, H, W, 3)
        assert item['state'].dtype == torch.float32 and item['state'].shape == (2, 2)
        assert item['actions'].dtype == torch.float32 and item['actions'].shape == (4, 3)
        obs_steps = expected[i, :2]
        np.testing.assert_array_equal(item['images']['front'][:, 1, 1, 0].numpy(), obs_steps)
        np.testing.assert_array_equal(item['images']['wrist'][:, 0, 0, 0].numpy(), 255 - obs_steps)
        state = windows.state_stats.unnormalize(item['state'].numpy())
        np.testing.assert_allclose(state[:, 0], obs_steps, atol=1e-5)
        actions = windows.action_stats.unnormalize(item['actions'].numpy())
        np.testing.assert_allclose(actions[:, 0], expected[i], atol=1e-5)


def test_edge_padding_repeats_first_and_last_step(windows):
    first, last = windows[0], windows[3]  # first / last window of episode 0 (L=5)
    np.testing.assert_array_equal(first['images']['front'][0], first['images']['front'][1])
    assert torch.equal(first['state'][0], first['state'][1])
    assert torch.equal(first['actions'][0], first['actions'][1])
    assert torch.equal(last['actions'][2], last['actions'][3])
    # Episode 1's first window starts at its own first step, not episode 0's last.
    np.testing.assert_allclose(
        windows.state_stats.unnormalize(windows[4]['state'].numpy())[:, 0], [5, 5], atol=1e-5
    )


def test_normalization_fitted_and_given_stats(windows):
    states = torch.stack([windows[i]['state'] for i in range(len(windows))])
    actions = torch.stack([windows[i]['actions'] for i in range(len(windows))])
    assert states.min() >= -1 and states.max() <= 1 and actions.min() >= -1 and actions.max() <= 1
    # Fitted on all steps 0..7.
    np.testing.assert_allclose(windows.state_stats.min, [0, -7])
    np.testing.assert_allclose(windows.action_stats.max, [7, 14, 21])
    assert actions.min() == -1 and actions.max() == 1

    given = MinMaxStats(np.array([-10, -10], np.float32), np.array([10, 10], np.float32))
    episodes = [make_episode(5, 0), make_episode(3, 5)]
    ds = ChunkWindows(episodes, 2, 4, 2, meta=make_meta(), state_stats=given)
    assert ds.state_stats is given
    np.testing.assert_allclose(ds[1]['state'].numpy()[:, 0], [0.0, 0.1], atol=1e-6)
    with pytest.raises(ValueError, match='state_stats has 3 dims'):
        ChunkWindows(
            episodes,
            2,
            4,
            2,
            state_stats=MinMaxStats(np.zeros(3, np.float32), np.ones(3, np.float32)),
        )


def test_list_of_episodes_without_meta_and_errors():
    ds = ChunkWindows([make_episode(5, 0)], 2, 4, 2)
    assert ds.camera_names == ('front', 'wrist') and len(ds) == 4
    with pytest.raises(ValueError, match='no windows'):
        ChunkWindows([make_episode(2, 0)], 1, 8, 1)
    with pytest.raises(ValueError, match='no episodes'):
        ChunkWindows([], 2, 4, 2)


def test_mmap_mode_pickles_without_image_data(windows):
    clone = pickle.loads(pickle.dumps(windows))
    if not windows.in_ram:
        assert clone._episode_images is None  # maps are reopened in the worker, not copied in
    for key in ('state', 'actions'):
        assert torch.equal(clone[5][key], windows[5][key])
    assert torch.equal(clone[5]['images']['wrist'], windows[5]['images']['wrist'])


def test_crops():
    images = np.arange(2 * 5 * 7 * 3, dtype=np.int64).reshape(2, 5, 7, 3).astype(np.uint8)
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        r = random_crop(images, (3, 4), rng)
        assert r.shape == (2, 3, 4, 3)
        # Locate the crop by its top-left pixel; both frames share the offset.
        top, left = np.argwhere((images[0, :, :, 0] == r[0, 0, 0, 0]))[0]
        bottom, right = top + 3, left + 4
        np.testing.assert_array_equal(r, images[:, top:bottom, left:right])
        seen.add((int(top), int(left)))
    assert seen == {(t, c) for t in range(3) for c in range(4)}  # both borders reachable
    t = torch.from_numpy(images)
    assert random_crop(t, (3, 3), rng).shape == (2, 3, 3, 3)  # torch tensors crop the same way
    with pytest.raises(ValueError, match='does not fit'):
        random_crop(images, (6, 3), rng)


def test_shortest_episode_with_a_window():
    # L >= Tp - Ta - To + 2 gives exactly one window at that length.
    assert len(window_indices([16 - 8 - 2 + 2], 2, 16, 8)) == 1
    assert len(window_indices([16 - 8 - 2 + 1], 2, 16, 8)) == 0


def test_relative_end_effector_windows_are_seen_from_the_observed_pose():
    from imle_policy_ros.runtime.ee_layout import EePoseLayout

    layout = EePoseLayout('base', 'tool', rotation='none')
    steps = np.arange(30, dtype=np.float64)
    poses = np.zeros((30, 7))
    poses[:, 0], poses[:, 1], poses[:, 6] = 0.5 + 0.01 * steps, -0.2, 1.0
    targets = np.roll(poses, -1, axis=0)
    targets[-1] = poses[-1]
    episode = Episode(
        images={'cam': np.zeros((30, 4, 4, 3), np.uint8)},
        states=layout.state(poses),
        actions=layout.absolute().encode(targets),
        stamps=0.1 * steps,
    )
    relative = ChunkWindows([episode], 2, 8, 4, ee_layout=layout)
    absolute = ChunkWindows([episode], 2, 8, 4, ee_layout=layout.absolute())
    # Relative targets of a steady motion are the same in every window: one small range.
    assert relative.action_stats.max[0] - relative.action_stats.min[0] < 0.1
    assert absolute.action_stats.max[0] - absolute.action_stats.min[0] > 0.25
    i = 10  # a window away from the edges: observation steps s, s+1, targets s+1 ...
    raw = relative.action_stats.unnormalize(relative[i]['actions'].numpy())
    np.testing.assert_allclose(raw[:, 0], 0.01 * np.arange(0, 8), atol=1e-5)
    np.testing.assert_allclose(raw[:, 1:3], 0.0, atol=1e-6)
