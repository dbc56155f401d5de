# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The training dataset on disk: one directory of episodes, each a few plain `.npy` files.

Layout (format_version 1)::

    <root>/
      meta.json
      episodes/
        episode_000000/
          images_<camera>.npy   uint8   [T, H, W, 3]  RGB, one file per camera
          joint_positions.npy   float32 [T, S]        S = len(joint_names)
          actions.npy           float32 [T, A]        A = len(action_names)
          stamps.npy            float64 [T]           seconds, strictly increasing
        episode_000001/
        ...

meta.json holds format_version, rate_hz, cameras (name, height, width, depth_max_m: null
for colour, else the depth shown as white), joint_names, action_names, action_kind
("joint_position" | "ee_pose"), a free-form `source` dict
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
from dataclasses import dataclass, field
import hashlib
import json
import os
from pathlib import Path
import re
import shutil
import tempfile
from typing import Iterable, Iterator, Mapping

import numpy as np

from .durable_files import fsync_dir, install_directory, replaceable_directory, save_array

FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)
# Mirrors runtime.policy_spec.ACTION_KINDS (a test keeps them equal); data/ sits below
# runtime/ in the layer order, so it does not import it.
ACTION_KINDS = ('joint_position', 'ee_pose')
META_FILE = 'meta.json'
EPISODES_DIR = 'episodes'
JOINT_POSITIONS_FILE = 'joint_positions.npy'
ACTIONS_FILE = 'actions.npy'
STAMPS_FILE = 'stamps.npy'
# Camera names become file names, so keep them to a portable character set.
_CAMERA_NAME = re.compile(r'^[A-Za-z0-9_\-]+$')
_HASH_CHUNK = 1 << 20


def episode_dir_name(index: int) -> str:
    return f'episode_{index:06d}'


def image_file_name(camera: str) -> str:
    return f'images_{camera}.npy'


@dataclass(frozen=True)
class CameraMeta:
    name: str
    height: int
    width: int
    depth_max_m: float | None = None  # a depth camera: its frames are grey, white at this distance


@dataclass(frozen=True)
class DatasetMeta:
    """What every episode of a dataset has in common (meta.json minus the episode list)."""

    rate_hz: float
    cameras: tuple[CameraMeta, ...]
    joint_names: tuple[str, ...]
    action_names: tuple[str, ...]
    action_kind: str
    source: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        # Accept lists / dicts from callers; store tuples so the meta is hashable-ish and fixed.
        cams = tuple(
            c
            if isinstance(c, CameraMeta)
            else CameraMeta(
                str(c['name']), int(c['height']), int(c['width']), c.get('depth_max_m')
            )
            for c in self.cameras
        )
        object.__setattr__(self, 'cameras', cams)
        object.__setattr__(self, 'joint_names', tuple(str(n) for n in self.joint_names))
        object.__setattr__(self, 'action_names', tuple(str(n) for n in self.action_names))
        object.__setattr__(self, 'rate_hz', float(self.rate_hz))
        object.__setattr__(self, 'source', dict(self.source))
        problems = []
        if self.format_version not in SUPPORTED_FORMAT_VERSIONS:
            problems.append(
                f'format_version {self.format_version} is not supported '
                f'{SUPPORTED_FORMAT_VERSIONS}'
            )
        if not (np.isfinite(self.rate_hz) and self.rate_hz > 0):
            problems.append(f'rate_hz must be positive, got {self.rate_hz}')
        names = [c.name for c in cams]
        if len(set(names)) != len(names):
            problems.append(f'duplicate camera names {names}')
        for c in cams:
            if not _CAMERA_NAME.match(c.name):
                problems.append(f'camera name {c.name!r} must match {_CAMERA_NAME.pattern}')
            if c.height <= 0 or c.width <= 0:
                problems.append(f'camera {c.name!r}: size {c.height}x{c.width} must be positive')
            if c.depth_max_m is not None and not c.depth_max_m > 0:
                problems.append(f'camera {c.name!r}: depth_max_m {c.depth_max_m} must be > 0 m')
        if not self.joint_names:
            problems.append('joint_names is empty')
        if not self.action_names:
            problems.append('action_names is empty')
        if self.action_kind not in ACTION_KINDS:
            problems.append(f'action_kind {self.action_kind!r} is not one of {ACTION_KINDS}')
        if problems:
            raise ValueError('dataset meta: ' + '; '.join(problems))

    @property
    def camera_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.cameras)

    def to_dict(self) -> dict:
        return {
            'format_version': self.format_version,
            'rate_hz': self.rate_hz,
            'cameras': [
                {
                    'name': c.name,
                    'height': c.height,
                    'width': c.width,
                    'depth_max_m': c.depth_max_m,
                }
                for c in self.cameras
            ],
            'joint_names': list(self.joint_names),
            'action_names': list(self.action_names),
            'action_kind': self.action_kind,
            'source': dict(self.source),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> 'DatasetMeta':
        return cls(
            rate_hz=d['rate_hz'],
            cameras=tuple(d['cameras']),
            joint_names=tuple(d['joint_names']),
            action_names=tuple(d['action_names']),
            action_kind=str(d['action_kind']),
            source=dict(d.get('source', {})),
            format_version=int(d['format_version']),
        )


def _as_float(name: str, what: str, x, dtype, ndim: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in 'biuf':
        raise ValueError(f'{name}: {what} has dtype {arr.dtype}, which is not a real number type')
    arr = arr.astype(dtype, copy=False)  # no copy when already right (keeps memory maps mapped)
    if arr.ndim != ndim:
        raise ValueError(f'{name}: {what} must have {ndim} dimensions, got shape {arr.shape}')
    finite = np.isfinite(arr)
    if not finite.all():
        step = int(np.argwhere(~finite)[0][0])
        raise ValueError(f'{name}: {what} contains NaN or Inf (first at step {step})')
    return arr


@dataclass
class Episode:
    """One demonstration, time-aligned: row t of every array is the same instant."""

    images: dict[str, np.ndarray]
    joint_positions: np.ndarray
    actions: np.ndarray
    stamps: np.ndarray
    name: str = 'episode'  # used in error messages only

    def __post_init__(self) -> None:
        n = self.name
        self.joint_positions = _as_float(n, 'joint_positions', self.joint_positions, np.float32, 2)
        self.actions = _as_float(n, 'actions', self.actions, np.float32, 2)
        self.stamps = _as_float(n, 'stamps', self.stamps, np.float64, 1)
        length = len(self.stamps)
        if length == 0:
            raise ValueError(f'{n}: episode is empty')
        for what, arr in (('joint_positions', self.joint_positions), ('actions', self.actions)):
            if len(arr) != length:
                raise ValueError(
                    f'{n}: length mismatch: {what} has {len(arr)} steps, stamps has {length}'
                )
        if length > 1:
            steps = np.diff(self.stamps)
            if not (steps > 0).all():
                bad = int(np.argwhere(steps <= 0)[0][0]) + 1
                raise ValueError(
                    f'{n}: stamps are not strictly increasing (step {bad}: '
                    f'{self.stamps[bad - 1]!r} -> {self.stamps[bad]!r})'
                )
        self.images = dict(self.images)
        for cam, img in self.images.items():
            # Images are not converted: a float image in [0, 1] cast to uint8 would be
            # silently black.
            if (
                not isinstance(img, np.ndarray)
                or img.dtype != np.uint8
                or img.ndim != 4
                or img.shape[-1] != 3
            ):
                desc = (
                    f'{img.dtype} {img.shape}'
                    if isinstance(img, np.ndarray)
                    else type(img).__name__
                )
                raise ValueError(
                    f'{n}: images[{cam!r}] must be uint8 RGB [T, H, W, 3], got {desc}'
                )
            if len(img) != length:
                raise ValueError(
                    f'{n}: length mismatch: images[{cam!r}] has {len(img)} steps, '
                    f'stamps has {length}'
                )

    def __len__(self) -> int:
        return len(self.stamps)

    def check_against(self, meta: DatasetMeta) -> None:
        """Cameras, image sizes and dims as the dataset declares; ValueError naming the problem."""
        n = self.name
        if set(self.images) != set(meta.camera_names):
            raise ValueError(
                f'{n}: cameras {sorted(self.images)} differ from '
                f"the dataset's {sorted(meta.camera_names)}"
            )
        for c in meta.cameras:
            h, w = self.images[c.name].shape[1:3]
            if (h, w) != (c.height, c.width):
                raise ValueError(
                    f'{n}: images[{c.name!r}] are {h}x{w}, '
                    f'the dataset declares {c.height}x{c.width}'
                )
        if self.joint_positions.shape[1] != len(meta.joint_names):
            raise ValueError(
                f'{n}: joint_positions has {self.joint_positions.shape[1]} columns, '
                f'the dataset has {len(meta.joint_names)} joint_names'
            )
        if self.actions.shape[1] != len(meta.action_names):
            raise ValueError(
                f'{n}: actions has {self.actions.shape[1]} columns, '
                f'the dataset has {len(meta.action_names)} action_names'
            )


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
            raise FileNotFoundError(f'{meta_path}: missing; {root} is not a dataset')
        try:
            d = json.loads(meta_path.read_text())
            meta = DatasetMeta.from_dict(d)
            episodes = [(str(e['name']), int(e['length'])) for e in d['episodes']]
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f'{meta_path}: malformed ({type(exc).__name__}: {exc})') from exc
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
            (dir_path / JOINT_POSITIONS_FILE, (length, len(m.joint_names)), np.dtype(np.float32)),
            (dir_path / ACTIONS_FILE, (length, len(m.action_names)), np.dtype(np.float32)),
            (dir_path / STAMPS_FILE, (length,), np.dtype(np.float64)),
        ]
        return files

    def _check_episode_files(self, name: str, length: int) -> None:
        # Only headers are read (mmap), so opening a large dataset stays cheap.
        for path, shape, dtype in self._expected_files(length, self._root / EPISODES_DIR / name):
            if not path.is_file():
                raise FileNotFoundError(f'{path}: missing (listed in {self._root / META_FILE})')
            try:
                arr = np.load(path, mmap_mode='r')
            except (ValueError, OSError) as exc:
                raise ValueError(f'{path}: unreadable ({exc})') from exc
            if arr.shape != shape or arr.dtype != dtype:
                raise ValueError(
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
            joint_positions=np.load(d / JOINT_POSITIONS_FILE, mmap_mode='r'),
            actions=np.load(d / ACTIONS_FILE, mmap_mode='r'),
            stamps=np.load(d / STAMPS_FILE, mmap_mode='r'),
            name=str(d),
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
            save_array(tmp / JOINT_POSITIONS_FILE, episode.joint_positions)
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
