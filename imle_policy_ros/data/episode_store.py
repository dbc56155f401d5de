# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The training dataset on disk: one directory of episodes, each a few plain `.npy` files.

Layout (format_version 2)::

    <root>/
      meta.json
      episodes/
        episode_000000/
          images_<camera>.npy   uint8   [T, H, W, 3]  RGB, one file per camera
          states.npy            float32 [T, S]        S = len(state_names)
          actions.npy           float32 [T, A]        A = len(action_names)
          stamps.npy            float64 [T]           seconds, strictly increasing
          extra_<name>.npy      float64 [T, ...]      per-step arrays training ignores (raw
                                                      commands, object state for evaluation)
        episode_000001/
        ...

meta.json holds format_version, rate_hz, cameras (name, height, width, depth_max_m: null
for colour, else the depth shown as white), state_names, action_names, action_kind
("joint_position" | "ee_pose"), for ee_pose the layout of states and actions
(runtime/ee_layout.py: frames, rotation, gripper; actions are stored absolute), the extras
and their per-step shapes, a free-form `source` dict
(provenance: bag paths, simulator seed, ...) and `episodes`: [{"name", "length"}] in order.

Why this and not Zarr / HDF5:
- no dependency beyond numpy on deploy or training hosts, and any numpy tool reads it;
- every file memory-maps (np.load(mmap_mode="r")), so a dataset larger than RAM trains;
- the episode is both the chunk and the unit of atomic writes: an episode is written into
  a temporary directory and renamed into place, then meta.json is replaced (write-temp +
  os.replace). An interrupted append therefore never leaves a half episode, and the
  dataset stays readable with the episodes it had. `write_dataset_atomically` does the
  same for a whole dataset, so a failed conversion leaves no dataset at all.

Only episodes listed in meta.json exist as far as readers are concerned; a directory not
listed (left by a crash between rename and meta update) is ignored and replaced by the
next append. One writer at a time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
import shutil
import tempfile
from typing import Iterable, Iterator

import numpy as np

from .durable_files import fsync_dir, install_directory, replaceable_directory, save_array
from .episode import (  # noqa: F401 - re-exported: the store's types, imported from here too
    ACTION_KINDS,
    CameraMeta,
    DatasetMeta,
    Episode,
    FORMAT_VERSION,
    SUPPORTED_FORMAT_VERSIONS,
)
from ..errors import Refusal


class DatasetError(Refusal, ValueError):
    """A dataset on disk that cannot be read; the message names the file and the problem."""


class DatasetFileMissing(Refusal, FileNotFoundError):
    """A file the dataset needs is not there."""


META_FILE = 'meta.json'
EPISODES_DIR = 'episodes'
STATES_FILE = 'states.npy'
STATES_FILE_V1 = 'joint_positions.npy'  # what format_version 1 called it
ACTIONS_FILE = 'actions.npy'
STAMPS_FILE = 'stamps.npy'
_HASH_CHUNK = 1 << 20


def episode_dir_name(index: int) -> str:
    return f'episode_{index:06d}'


def extra_file_name(name: str) -> str:
    return f'extra_{name}.npy'


def image_file_name(camera: str) -> str:
    return f'images_{camera}.npy'


class EpisodeStore:
    """A dataset directory. Use `create` or `open`; `append` adds episodes atomically."""

    def __init__(self, root: Path, meta: DatasetMeta, episodes: list[tuple[str, int]]):
        self._root = Path(root)
        self._meta = meta
        self._episodes = list(episodes)  # (dir name, length), in order

    # ---- construction ------------------------------------------------------------------
    @classmethod
    def create(cls, root, meta: DatasetMeta, overwrite: bool = False) -> 'EpisodeStore':
        root = Path(root)
        if replaceable_directory(root, overwrite, META_FILE, 'a dataset'):
            shutil.rmtree(root)
        (root / EPISODES_DIR).mkdir(parents=True, exist_ok=True)
        store = cls(root, meta, [])
        store._write_meta()
        return store

    @classmethod
    def open(cls, root) -> 'EpisodeStore':  # noqa: A003
        root = Path(root)
        meta_path = root / META_FILE
        if not meta_path.is_file():
            raise DatasetFileMissing(
                f'{root} is not a dataset ({META_FILE} missing): make one from bags with '
                '`imle-policy-ros dataset` or from the simulator with `imle-policy-ros sim-demos`'
            )
        try:
            d = json.loads(meta_path.read_text())
            meta = DatasetMeta.from_dict(d)
            episodes = [(str(e['name']), int(e['length'])) for e in d['episodes']]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DatasetError(f'{meta_path}: malformed ({type(exc).__name__}: {exc})') from exc
        store = cls(root, meta, episodes)
        for name, length in episodes:
            store._check_episode_files(name, length)
        return store

    def _expected_files(self, length: int, dir_path: Path) -> list[tuple[Path, tuple, np.dtype]]:
        m = self._meta
        files = [
            (
                dir_path / image_file_name(c.name),
                (length, c.height, c.width, 3),
                np.dtype(np.uint8),
            )
            for c in m.cameras
        ]
        files += [
            (dir_path / self._states_file, (length, len(m.state_names)), np.dtype(np.float32)),
            (dir_path / ACTIONS_FILE, (length, len(m.action_names)), np.dtype(np.float32)),
            (dir_path / STAMPS_FILE, (length,), np.dtype(np.float64)),
        ]
        files += [
            (dir_path / extra_file_name(name), (length, *shape), np.dtype(np.float64))
            for name, shape in m.extras.items()
        ]
        return files

    @property
    def _states_file(self) -> str:
        return STATES_FILE if self._meta.format_version >= 2 else STATES_FILE_V1

    def _check_episode_files(self, name: str, length: int) -> None:
        # Only headers are read (mmap), so opening a large dataset stays cheap.
        for path, shape, dtype in self._expected_files(length, self._root / EPISODES_DIR / name):
            if not path.is_file():
                raise DatasetFileMissing(f'{path}: missing (listed in {self._root / META_FILE})')
            try:
                arr = np.load(path, mmap_mode='r')
            except (ValueError, OSError) as exc:
                raise DatasetError(f'{path}: unreadable ({exc})') from exc
            if arr.shape != shape or arr.dtype != dtype:
                raise DatasetError(
                    f'{path}: expected {dtype} {shape}, found {arr.dtype} {arr.shape}'
                )

    # ---- reading ------------------------------------------------------------------------
    @property
    def root(self) -> Path:
        return self._root

    @property
    def meta(self) -> DatasetMeta:
        return self._meta

    def __len__(self) -> int:
        return len(self._episodes)

    @property
    def episode_lengths(self) -> list[int]:
        return [length for _, length in self._episodes]

    @property
    def episode_names(self) -> list[str]:
        return [name for name, _ in self._episodes]

    def episode(self, i: int) -> Episode:
        """Episode i with memory-mapped, read-only arrays (nothing is read until indexed)."""
        if not -len(self) <= i < len(self):
            raise IndexError(f'episode {i} out of range; the dataset has {len(self)}')
        name = self._episodes[i][0]
        d = self._root / EPISODES_DIR / name
        return Episode(
            images={
                c: np.load(d / image_file_name(c), mmap_mode='r') for c in self._meta.camera_names
            },
            states=np.load(d / self._states_file, mmap_mode='r'),
            actions=np.load(d / ACTIONS_FILE, mmap_mode='r'),
            stamps=np.load(d / STAMPS_FILE, mmap_mode='r'),
            name=str(d),
            extras={n: np.load(d / extra_file_name(n), mmap_mode='r') for n in self._meta.extras},
        )

    def content_hash(self) -> str:
        """
        sha256 over the data-defining meta fields and every episode file's bytes.

        `source` is left out: it is provenance (paths, dates), and the same data converted
        twice must hash the same. Files are streamed, so this works on datasets above RAM.
        """
        h = hashlib.sha256(b'imle_policy_ros.episode_store.v1\n')
        defining = self._meta.to_dict()
        defining.pop('source')
        defining['episodes'] = [{'name': n, 'length': t} for n, t in self._episodes]
        h.update(json.dumps(defining, sort_keys=True).encode())
        for name, length in self._episodes:
            for path, _, _ in self._expected_files(length, self._root / EPISODES_DIR / name):
                h.update(f'\n{name}/{path.name}\n'.encode())
                with open(path, 'rb') as f:
                    while chunk := f.read(_HASH_CHUNK):
                        h.update(chunk)
        return h.hexdigest()

    # ---- writing ------------------------------------------------------------------------
    def _write_meta(self) -> None:
        d = self._meta.to_dict()
        d['episodes'] = [{'name': n, 'length': t} for n, t in self._episodes]
        tmp = self._root / f'.{META_FILE}.tmp'
        with open(tmp, 'w') as f:
            f.write(json.dumps(d, indent=2) + '\n')
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self._root / META_FILE)
        fsync_dir(self._root)

    def append(self, episode: Episode) -> int:
        """Write `episode` as the next one; returns its index. All or nothing."""
        index = len(self._episodes)
        name = episode_dir_name(index)
        try:
            episode.check_against(self._meta)
        except ValueError as exc:
            raise ValueError(f'{self._root}: cannot append as {name}: {exc}') from exc
        episodes_dir = self._root / EPISODES_DIR
        tmp = Path(tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=episodes_dir))
        try:
            for cam in self._meta.camera_names:
                save_array(tmp / image_file_name(cam), episode.images[cam])
            save_array(tmp / self._states_file, episode.states)
            for extra in self._meta.extras:
                save_array(tmp / extra_file_name(extra), episode.extras[extra])
            save_array(tmp / ACTIONS_FILE, episode.actions)
            save_array(tmp / STAMPS_FILE, episode.stamps)
            final = episodes_dir / name
            if final.exists():
                # Not listed in meta.json (we count from it), so a crash left it: replace it.
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync_dir(episodes_dir)
        # The episode becomes part of the dataset only now, with the meta.json replace.
        self._episodes.append((name, len(episode)))
        try:
            self._write_meta()
        except BaseException:
            self._episodes.pop()
            raise
        return index


def _install_dir(tmp: Path, root: Path, overwrite: bool) -> None:
    """Move a finished dataset from `tmp` to `root` (checked again: time has passed)."""
    install_directory(tmp, root, replaceable_directory(root, overwrite, META_FILE, 'a dataset'))
    fsync_dir(root.parent)


@contextlib.contextmanager
def atomic_dataset(root, meta: DatasetMeta, overwrite: bool = False) -> Iterator[EpisodeStore]:
    """
    Yield a store in `root.tmp-XXXX`; it becomes `root` only if the block ends without error.

    On any exception the temporary directory is removed, so there is either a complete new
    dataset at `root` or (for a new root) nothing at all.
    """
    root = Path(root)
    replaceable_directory(root, overwrite, META_FILE, 'a dataset')
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'{root.name}.tmp-', dir=root.parent))
    try:
        yield EpisodeStore.create(tmp, meta)
        _install_dir(tmp, root, overwrite)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_dataset_atomically(
    root, meta: DatasetMeta, episodes: Iterable[Episode], overwrite: bool = False
) -> EpisodeStore:
    """
    Write every episode, then publish the dataset at `root` in one rename.

    Refuses (and leaves nothing) if `episodes` is empty: a dataset without episodes is
    always a conversion mistake (wrong topics, empty bag).
    """
    root = Path(root)
    with atomic_dataset(root, meta, overwrite=overwrite) as store:
        for episode in episodes:
            store.append(episode)
        if len(store) == 0:
            raise ValueError(f'{root}: no episodes to write; nothing was created')
    return EpisodeStore.open(root)
