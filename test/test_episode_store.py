# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Episode store: round trip, atomic writes, validation messages, content hash."""

from __future__ import annotations

import json
import os

from imle_policy_ros.data import (
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    write_dataset_atomically,
)
from imle_policy_ros.data import episode_store as es
import numpy as np
import pytest

H, W = 8, 10


def make_meta(**overrides) -> DatasetMeta:
    kw = {
        'rate_hz': 10.0,
        'cameras': (CameraMeta('front', H, W), CameraMeta('wrist', H, W)),
        'state_names': ('j1', 'j2', 'j3'),
        'action_names': ('a1', 'a2'),
        'action_kind': 'joint_position',
        'source': {'kind': 'test'},
    }
    kw.update(overrides)
    return DatasetMeta(**kw)


def make_episode(length=6, seed=0, name='ep', **overrides) -> Episode:
    rng = np.random.default_rng(seed)
    kw = {
        'images': {
            c: rng.integers(0, 256, (length, H, W, 3), dtype=np.uint8) for c in ('front', 'wrist')
        },
        'states': rng.normal(size=(length, 3)),
        'actions': rng.normal(size=(length, 2)),
        'stamps': 0.1 * np.arange(length) + 100.0,
        'name': name,
    }
    kw.update(overrides)
    return Episode(**kw)


def test_round_trip(tmp_path):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    eps = [make_episode(5, seed=0), make_episode(7, seed=1)]
    assert [store.append(e) for e in eps] == [0, 1]

    reopened = EpisodeStore.open(tmp_path / 'ds')
    assert len(reopened) == 2
    assert reopened.episode_lengths == [5, 7]
    assert reopened.meta == make_meta()
    for i, e in enumerate(eps):
        got = reopened.episode(i)
        assert isinstance(got.states, np.memmap) or isinstance(got.states.base, np.memmap)
        for c in ('front', 'wrist'):
            np.testing.assert_array_equal(got.images[c], e.images[c])
        np.testing.assert_array_equal(got.states, e.states.astype(np.float32))
        assert got.states.dtype == np.float32 and got.stamps.dtype == np.float64
        np.testing.assert_array_equal(got.actions, e.actions)
        np.testing.assert_array_equal(got.stamps, e.stamps)
    meta_json = json.loads((tmp_path / 'ds' / 'meta.json').read_text())
    assert meta_json['format_version'] == 2
    assert meta_json['episodes'] == [
        {'name': 'episode_000000', 'length': 5},
        {'name': 'episode_000001', 'length': 7},
    ]
    assert (tmp_path / 'ds' / 'episodes' / 'episode_000001' / 'images_wrist.npy').is_file()


def test_create_refuses_non_empty_dir(tmp_path):
    EpisodeStore.create(tmp_path / 'ds', make_meta()).append(make_episode())
    with pytest.raises(FileExistsError, match='not empty'):
        EpisodeStore.create(tmp_path / 'ds', make_meta())
    store = EpisodeStore.create(tmp_path / 'ds', make_meta(), overwrite=True)
    assert len(EpisodeStore.open(store.root)) == 0
    (tmp_path / 'other').mkdir()
    (tmp_path / 'other' / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='not a dataset'):
        EpisodeStore.create(tmp_path / 'other', make_meta(), overwrite=True)
    assert (tmp_path / 'other' / 'notes.txt').is_file()


def test_append_failing_midway_leaves_store_readable(tmp_path, monkeypatch):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    store.append(make_episode(seed=0))
    hash_before = store.content_hash()

    real_save = np.save
    calls = {'n': 0}

    def failing_save(*args, **kwargs):
        calls['n'] += 1
        if calls['n'] > 1:
            raise OSError('disk full (simulated)')
        return real_save(*args, **kwargs)

    monkeypatch.setattr(np, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        store.append(make_episode(seed=1))
    monkeypatch.setattr(np, 'save', real_save)

    assert len(store) == 1
    reopened = EpisodeStore.open(tmp_path / 'ds')
    assert len(reopened) == 1 and reopened.content_hash() == hash_before
    # No temporary or half episode left behind.
    assert sorted(p.name for p in (tmp_path / 'ds' / 'episodes').iterdir()) == ['episode_000000']
    # And the store keeps working.
    assert reopened.append(make_episode(seed=1)) == 1
    assert len(EpisodeStore.open(tmp_path / 'ds')) == 2


def test_append_replaces_unlisted_leftover_dir(tmp_path):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    # As if a crash happened between the episode rename and the meta.json update.
    leftover = tmp_path / 'ds' / 'episodes' / 'episode_000000'
    leftover.mkdir()
    (leftover / 'junk.npy').write_bytes(b'x')
    assert len(EpisodeStore.open(tmp_path / 'ds')) == 0
    store.append(make_episode())
    assert not (leftover / 'junk.npy').exists()
    assert EpisodeStore.open(tmp_path / 'ds').episode_lengths == [6]


def test_append_refuses_episode_not_matching_meta(tmp_path):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    rng = np.random.default_rng(0)
    small = {c: rng.integers(0, 256, (6, H - 1, W, 3), dtype=np.uint8) for c in ('front', 'wrist')}
    with pytest.raises(
        ValueError, match=r"episode_000000.*images\['front'\] are 7x10.*declares 8x10"
    ):
        store.append(make_episode(images=small))
    with pytest.raises(ValueError, match='cameras'):
        store.append(make_episode(images={'front': small['front']}))
    with pytest.raises(ValueError, match='states has 4 columns'):
        store.append(make_episode(states=np.zeros((6, 4))))
    assert len(store) == 0 and list((tmp_path / 'ds' / 'episodes').iterdir()) == []


@pytest.mark.parametrize(
    'overrides, message',
    [
        (
            {'states': np.array([[0.0, np.nan, 0.0]] * 6)},
            r'myep: states contains NaN or Inf \(first at step 0\)',
        ),
        (
            {'actions': np.vstack([np.zeros((5, 2)), [[np.inf, 0]]])},
            r'myep: actions contains NaN or Inf \(first at step 5\)',
        ),
        (
            {'actions': np.zeros((5, 2))},
            r'myep: length mismatch: actions has 5 steps, stamps has 6',
        ),
        (
            {'stamps': np.array([0.0, 0.1, 0.2, 0.2, 0.3, 0.4])},
            r'myep: stamps are not strictly increasing \(step 3',
        ),
        (
            {'stamps': np.array([0.0, 0.1, 0.05, 0.2, 0.3, 0.4])},
            r'myep: stamps are not strictly increasing \(step 2',
        ),
        (
            {'images': {'front': np.zeros((6, H, W, 3), np.float32)}},
            r"myep: images\['front'\] must be uint8 RGB",
        ),
        (
            {'images': {'front': np.zeros((6, H, W), np.uint8)}},
            r"myep: images\['front'\] must be uint8 RGB",
        ),
        (
            {'images': {'front': np.zeros((5, H, W, 3), np.uint8)}},
            r"myep: length mismatch: images\['front'\]",
        ),
        (
            {'states': np.array([['a', 'b', 'c']] * 6)},
            r'myep: states has dtype',
        ),
    ],
)
def test_episode_validation_messages(overrides, message):
    with pytest.raises(ValueError, match=message):
        make_episode(name='myep', **overrides)


def test_meta_validation():
    with pytest.raises(ValueError, match="action_kind 'twist'"):
        make_meta(action_kind='twist')
    with pytest.raises(ValueError, match="camera name 'a/b'"):
        make_meta(cameras=(CameraMeta('a/b', H, W),))
    with pytest.raises(ValueError, match='rate_hz'):
        make_meta(rate_hz=0)
    assert DatasetMeta.from_dict(make_meta().to_dict()) == make_meta()


def test_open_names_missing_or_wrong_file(tmp_path):
    store = EpisodeStore.create(tmp_path / 'ds', make_meta())
    store.append(make_episode(seed=0))
    store.append(make_episode(seed=1))
    missing = tmp_path / 'ds' / 'episodes' / 'episode_000001' / 'images_wrist.npy'
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match=str(missing)):
        EpisodeStore.open(tmp_path / 'ds')

    wrong = tmp_path / 'ds' / 'episodes' / 'episode_000000' / 'actions.npy'
    np.save(wrong, np.zeros((6, 3), np.float32))
    with pytest.raises(ValueError, match=f'{wrong}: expected float32 \\(6, 2\\)'):
        EpisodeStore.open(tmp_path / 'ds')

    with pytest.raises(FileNotFoundError, match='meta.json'):
        EpisodeStore.open(tmp_path / 'nothing')


def test_write_dataset_atomically(tmp_path):
    root = tmp_path / 'ds'
    store = write_dataset_atomically(root, make_meta(), (make_episode(seed=s) for s in range(3)))
    assert len(store) == 3 and store.root == root
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ds']


def test_write_dataset_atomically_leaves_nothing_on_failure(tmp_path):
    def episodes():
        yield make_episode(seed=0)
        yield make_episode(seed=1)
        raise RuntimeError('bag is corrupt (simulated)')

    with pytest.raises(RuntimeError, match='corrupt'):
        write_dataset_atomically(tmp_path / 'ds', make_meta(), episodes())
    assert list(tmp_path.iterdir()) == []

    bad = make_episode(seed=1)
    bad.actions = np.zeros((6, 5), np.float32)  # wrong width, caught at append
    with pytest.raises(ValueError, match='actions has 5 columns'):
        write_dataset_atomically(tmp_path / 'ds', make_meta(), [make_episode(), bad])
    assert list(tmp_path.iterdir()) == []

    with pytest.raises(ValueError, match='no episodes'):
        write_dataset_atomically(tmp_path / 'ds', make_meta(), [])
    assert list(tmp_path.iterdir()) == []


def test_write_dataset_atomically_overwrite(tmp_path):
    root = tmp_path / 'ds'
    write_dataset_atomically(root, make_meta(), [make_episode(seed=0)])
    with pytest.raises(FileExistsError):
        write_dataset_atomically(root, make_meta(), [make_episode(seed=1)])
    old_hash = EpisodeStore.open(root).content_hash()

    # A failed overwrite keeps the old dataset intact.
    def failing():
        yield make_episode(seed=2)
        raise RuntimeError('conversion failed (simulated)')

    with pytest.raises(RuntimeError, match='conversion failed'):
        write_dataset_atomically(root, make_meta(), failing(), overwrite=True)
    assert EpisodeStore.open(root).content_hash() == old_hash
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ds']
    store = write_dataset_atomically(
        root, make_meta(), [make_episode(seed=1), make_episode(seed=2)], overwrite=True
    )
    assert len(store) == 2 and store.content_hash() != old_hash
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ds']


def test_content_hash(tmp_path):
    a = write_dataset_atomically(
        tmp_path / 'a', make_meta(), [make_episode(seed=0), make_episode(seed=1)]
    )
    b = write_dataset_atomically(
        tmp_path / 'b',
        make_meta(source={'kind': 'elsewhere'}),
        [make_episode(seed=0), make_episode(seed=1)],
    )
    h = a.content_hash()
    assert (
        len(h) == 64 and h == a.content_hash() == EpisodeStore.open(tmp_path / 'a').content_hash()
    )
    assert b.content_hash() == h  # provenance does not change the data's identity

    c = write_dataset_atomically(
        tmp_path / 'c', make_meta(), [make_episode(seed=0), make_episode(seed=2)]
    )
    assert c.content_hash() != h
    d = write_dataset_atomically(
        tmp_path / 'd', make_meta(rate_hz=20.0), [make_episode(seed=0), make_episode(seed=1)]
    )
    assert d.content_hash() != h

    # Flipping one pixel changes the hash.
    path = tmp_path / 'a' / 'episodes' / 'episode_000001' / 'images_front.npy'
    arr = np.load(path)
    arr[0, 0, 0, 0] ^= 1
    np.save(path, arr)
    assert a.content_hash() != h


def test_a_version_1_dataset_is_still_read(tmp_path):
    """Version 1 named the state joint_names / joint_positions.npy; such datasets stay usable."""
    episodes = [make_episode(seed=s) for s in range(2)]
    es.write_dataset_atomically(tmp_path / 'ds', make_meta(), episodes)
    meta_path = tmp_path / 'ds' / 'meta.json'
    d = json.loads(meta_path.read_text())
    d['format_version'] = 1
    d['joint_names'] = d.pop('state_names')
    meta_path.write_text(json.dumps(d))
    for folder in (tmp_path / 'ds' / 'episodes').iterdir():
        (folder / 'states.npy').rename(folder / 'joint_positions.npy')
    store = es.EpisodeStore.open(tmp_path / 'ds')
    assert store.meta.state_names == ('j1', 'j2', 'j3')
    np.testing.assert_array_equal(store.episode(1).states, episodes[1].states.astype(np.float32))


def test_extras_are_kept_per_step_and_checked(tmp_path):
    meta = make_meta(extras={'object_xy': (2,)})
    episode = make_episode(extras={'object_xy': np.arange(12.0).reshape(6, 2)})
    es.write_dataset_atomically(tmp_path / 'ds', meta, [episode])
    got = es.EpisodeStore.open(tmp_path / 'ds').episode(0)
    np.testing.assert_array_equal(got.extras['object_xy'], episode.extras['object_xy'])
    store = es.EpisodeStore.open(tmp_path / 'ds')
    with pytest.raises(ValueError, match=r"extras\['object_xy'\] must have steps of shape \[2\]"):
        store.append(make_episode())
