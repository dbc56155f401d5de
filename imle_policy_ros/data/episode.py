# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What a dataset holds, checked: its meta (cameras, state and action names, rate) and episodes.

The episode store (episode_store.py) writes and reads these on disk; the bag converter,
the simulator's demos and the training windows build or consume them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Mapping

import numpy as np

from ..runtime.ee_layout import EePoseLayout
from ..runtime.policy_spec import ACTION_KINDS

# 2: the low-dim state is named neutrally (state_names, states.npy; version 1 said
# joint_names, joint_positions.npy), and episodes may keep extra arrays. Version 1 is read.
FORMAT_VERSION = 2
SUPPORTED_FORMAT_VERSIONS = (1, 2)
# Camera names become file names, so keep them to a portable character set.
_CAMERA_NAME = re.compile(r'^[A-Za-z0-9_\-]+$')


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
    state_names: tuple[str, ...]
    action_names: tuple[str, ...]
    action_kind: str
    source: dict = field(default_factory=dict)
    format_version: int = FORMAT_VERSION
    # ee_pose: what the state and action dimensions are (actions stored absolute)
    ee_layout: EePoseLayout | None = None
    # per-step arrays kept beside the episode: name -> shape of a step. Training ignores
    # them unless told to append some to the state (`train --state-extras`).
    extras: dict = field(default_factory=dict)

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
        object.__setattr__(self, 'state_names', tuple(str(n) for n in self.state_names))
        object.__setattr__(self, 'action_names', tuple(str(n) for n in self.action_names))
        object.__setattr__(self, 'rate_hz', float(self.rate_hz))
        object.__setattr__(self, 'source', dict(self.source))
        extras = {str(k): tuple(int(d) for d in v) for k, v in dict(self.extras).items()}
        object.__setattr__(self, 'extras', extras)
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
        if not self.state_names:
            problems.append('state_names is empty')
        if not self.action_names:
            problems.append('action_names is empty')
        if self.action_kind not in ACTION_KINDS:
            problems.append(f'action_kind {self.action_kind!r} is not one of {ACTION_KINDS}')
        problems += self._layout_problems()
        for name in self.extras:
            if not _CAMERA_NAME.match(name):
                problems.append(f'extra {name!r} must match {_CAMERA_NAME.pattern}')
        if problems:
            raise ValueError('dataset meta: ' + '; '.join(problems))

    def _layout_problems(self) -> list[str]:
        layout = self.ee_layout
        if self.action_kind != 'ee_pose':
            return ['only ee_pose datasets have an ee_layout'] if layout else []
        if layout is None:
            return ['an ee_pose dataset must declare its ee_layout']
        problems = []
        if layout.reference != 'absolute':
            problems.append('ee_pose datasets store absolute actions (made relative in training)')
        if self.action_names != layout.action_names:
            problems.append(
                f"action_names {list(self.action_names)} are not the layout's "
                f'{list(layout.action_names)}'
            )
        if self.state_names != layout.state_names:
            problems.append(
                f"state_names {list(self.state_names)} are not the layout's "
                f'{list(layout.state_names)}'
            )
        return problems

    def extra_state_names(self, extra: str) -> tuple[str, ...]:
        """
        Return the state names an extra gets when appended to the state: NAME_0, NAME_1, ...

        One per value of a step, flattened: what a state policy's bundle names, and what
        its live input must then provide by those names.
        """
        if extra not in self.extras:
            raise ValueError(
                f'the dataset has no extra {extra!r} (it has {sorted(self.extras) or "none"})'
            )
        return extra_state_names(extra, self.extras[extra])

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
            'state_names': list(self.state_names),
            'action_names': list(self.action_names),
            'action_kind': self.action_kind,
            'ee_layout': self.ee_layout.to_dict() if self.ee_layout else None,
            'extras': {k: list(v) for k, v in self.extras.items()},
            'source': dict(self.source),
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> 'DatasetMeta':
        return cls(
            rate_hz=d['rate_hz'],
            cameras=tuple(d['cameras']),
            state_names=tuple(
                d['state_names' if int(d['format_version']) >= 2 else 'joint_names']
            ),
            action_names=tuple(d['action_names']),
            action_kind=str(d['action_kind']),
            source=dict(d.get('source', {})),
            format_version=int(d['format_version']),
            ee_layout=EePoseLayout.from_dict(d['ee_layout']) if d.get('ee_layout') else None,
            extras=dict(d.get('extras', {})),
        )


def extra_state_names(extra: str, step_shape: tuple[int, ...]) -> tuple[str, ...]:
    """Return the state names of an extra whose steps have `step_shape`: NAME_0, NAME_1, ..."""
    return tuple(f'{extra}_{i}' for i in range(int(np.prod(step_shape))))


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
    states: np.ndarray
    actions: np.ndarray
    stamps: np.ndarray
    name: str = 'episode'  # used in error messages only
    extras: dict[str, np.ndarray] = field(default_factory=dict)  # per-step, training ignores

    def __post_init__(self) -> None:
        n = self.name
        self.states = _as_float(n, 'states', self.states, np.float32, 2)
        self.actions = _as_float(n, 'actions', self.actions, np.float32, 2)
        self.stamps = _as_float(n, 'stamps', self.stamps, np.float64, 1)
        length = len(self.stamps)
        if length == 0:
            raise ValueError(f'{n}: episode is empty')
        for what, arr in (('states', self.states), ('actions', self.actions)):
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
        self.extras = {
            k: _as_float(n, f'extras[{k!r}]', v, np.float64, np.ndim(v))
            for k, v in dict(self.extras).items()
        }
        for what, arr in self.extras.items():
            if arr.ndim == 0 or len(arr) != length:
                raise ValueError(f'{n}: extras[{what!r}] must have one row per step ({length})')
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
        if self.states.shape[1] != len(meta.state_names):
            raise ValueError(
                f'{n}: states has {self.states.shape[1]} columns, '
                f'the dataset has {len(meta.state_names)} state_names'
            )
        for name, shape in meta.extras.items():
            have = self.extras.get(name)
            if have is None or have.shape[1:] != shape:
                got = 'none' if have is None else f'steps of shape {list(have.shape[1:])}'
                raise ValueError(
                    f'{n}: extras[{name!r}] must have steps of shape {list(shape)}, got {got}'
                )
        if self.actions.shape[1] != len(meta.action_names):
            raise ValueError(
                f'{n}: actions has {self.actions.shape[1]} columns, '
                f'the dataset has {len(meta.action_names)} action_names'
            )
