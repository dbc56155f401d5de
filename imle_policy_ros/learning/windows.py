# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Training windows over episodes, the way Diffusion Policy samples them.

For an episode of length L, observation horizon To, prediction horizon Tp and action
horizon Ta, a window starts at s in [-(To-1), L - Tp + (Ta-1)] and covers steps
s .. s+Tp-1, each clamped into [0, L-1]. Clamping repeats the first / last step (edge
padding), so the very first observation of an episode and its last executed actions are
trained on too. The observation of a window is its first To steps; the target is all Tp
actions. Windows never cross episode boundaries.

Items carry full frames; the training loop crops them (learning/augment.py: random crop
per sample in training, center crop at run time).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ..data.episode_store import DatasetMeta, Episode, EpisodeStore
from ..runtime.ee_layout import EePoseLayout
from ..runtime.hand_relative import relative_indices, to_hand_relative
from ..runtime.normalization import MinMaxStats

# Image arrays below this total size are copied into one RAM array per camera: fancy
# indexing a single array is much faster than going through per-episode memory maps.
DEFAULT_MAX_RAM_BYTES = 2 << 30


def window_indices(
    episode_lengths: Sequence[int], obs_horizon: int, pred_horizon: int, action_horizon: int
) -> np.ndarray:
    """
    Global step indices of every window: int64 [num_windows, pred_horizon].

    Steps are numbered consecutively over the episodes in order (episode k starts at the
    sum of the lengths before it). An episode too short for any window contributes none.
    """
    if not 1 <= obs_horizon <= pred_horizon:
        raise ValueError(f'obs_horizon {obs_horizon} must be in 1..pred_horizon ({pred_horizon})')
    if not 1 <= action_horizon <= pred_horizon:
        raise ValueError(
            f'action_horizon {action_horizon} must be in 1..pred_horizon ({pred_horizon})'
        )
    pad_before, pad_after = obs_horizon - 1, action_horizon - 1
    offsets = np.concatenate([[0], np.cumsum(episode_lengths, dtype=np.int64)])
    span = np.arange(pred_horizon, dtype=np.int64)
    parts = []
    for k, length in enumerate(episode_lengths):
        starts = np.arange(-pad_before, length - pred_horizon + pad_after + 1, dtype=np.int64)
        local = np.clip(starts[:, None] + span[None, :], 0, length - 1)
        parts.append(local + offsets[k])
    if not parts:
        return np.zeros((0, pred_horizon), dtype=np.int64)
    return np.concatenate(parts, axis=0)


class ChunkWindows(Dataset):
    """
    (observation history, action chunk) examples from an EpisodeStore or a list of Episodes.

    Item: {"images": {camera: uint8 [To, H, W, 3]}, "state": float32 [To, S] normalized,
           "actions": float32 [Tp, A] normalized} (torch tensors).
    States and window actions are small, so they are always normalized once into RAM;
    images stay memory-mapped unless they fit under `max_ram_bytes`. With `ee_layout`
    (the layout the policy learns) relative, a window's actions are re-expressed from the
    pose at its observation, and the action statistics are fitted on those.
    `cameras` picks the cameras the policy sees (default all; () for a state policy), and
    `state_extras` names dataset extras appended to each step's state, flattened, in order
    (`state_names` names every state dimension). `relative_to_ee` names state positions, in
    x y z triples, that the policy sees as offsets from the hand (runtime/hand_relative.py).
    """

    def __init__(
        self,
        source: EpisodeStore | Sequence[Episode],
        obs_horizon: int,
        pred_horizon: int,
        action_horizon: int,
        *,
        meta: DatasetMeta | None = None,
        state_stats: MinMaxStats | None = None,
        action_stats: MinMaxStats | None = None,
        max_ram_bytes: int = DEFAULT_MAX_RAM_BYTES,
        ee_layout: EePoseLayout | None = None,
        cameras: Sequence[str] | None = None,
        state_extras: Sequence[str] = (),
        relative_to_ee: Sequence[str] = (),
    ):
        self.obs_horizon, self.pred_horizon, self.action_horizon = (
            obs_horizon,
            pred_horizon,
            action_horizon,
        )
        if isinstance(source, EpisodeStore):
            self.meta = meta if meta is not None else source.meta
            self._store_root = (
                source.root
            )  # lets worker processes reopen the maps (see __getstate__)
            episodes = [source.episode(i) for i in range(len(source))]
        else:
            self.meta = meta
            self._store_root = None
            episodes = list(source)
        if not episodes:
            raise ValueError('no episodes to build windows from')
        self.camera_names = (
            self.meta.camera_names if self.meta is not None else tuple(episodes[0].images)
        )
        self._check_consistent(episodes)
        self.camera_names, self.state_names = self._observed(episodes, cameras, state_extras)

        lengths = [len(e) for e in episodes]
        self.episode_lengths = lengths
        self._indices = window_indices(lengths, obs_horizon, pred_horizon, action_horizon)
        if len(self._indices) == 0:
            shortest = pred_horizon - action_horizon - obs_horizon + 2
            raise ValueError(
                f'no windows: every episode is shorter than pred_horizon - action_horizon - '
                f'obs_horizon + 2 = {shortest} steps; lengths {lengths}'
            )
        self._offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        # Episode of each window (its clamped first index lies inside that episode).
        self._window_episode = (
            np.searchsorted(self._offsets, self._indices[:, 0], side='right') - 1
        )

        states = np.concatenate([_state_with_extras(e, state_extras) for e in episodes])
        self.relative_to_ee = tuple(relative_to_ee)
        if self.relative_to_ee:  # the rule the runtime applies (runtime/hand_relative.py)
            indices = relative_indices(self.state_names, self.relative_to_ee)
            hand_relative = to_hand_relative(states, indices)
        else:
            hand_relative = states
        actions = np.concatenate([np.asarray(e.actions, np.float32) for e in episodes])
        # Each window's target chunk: the stored actions, or, for relative end-effector
        # actions, those actions seen from the pose at the window's observation.
        window_actions = self._window_actions(states, actions, ee_layout)
        self.state_stats = (
            state_stats if state_stats is not None else MinMaxStats.fit(hand_relative)
        )
        self.action_stats = (
            action_stats if action_stats is not None else MinMaxStats.fit(window_actions)
        )
        if self.state_stats.dim != states.shape[1]:
            raise ValueError(
                f'state_stats has {self.state_stats.dim} dims, states have {states.shape[1]}'
            )
        if self.action_stats.dim != actions.shape[1]:
            raise ValueError(
                f'action_stats has {self.action_stats.dim} dims, actions have {actions.shape[1]}'
            )
        self._state = self.state_stats.normalize(hand_relative)
        self._actions = self.action_stats.normalize(window_actions)

        image_bytes = sum(e.images[c].nbytes for e in episodes for c in self.camera_names)
        self.in_ram = image_bytes <= max_ram_bytes
        if self.in_ram:
            self._ram_images = {
                c: np.concatenate([np.asarray(e.images[c]) for e in episodes])
                for c in self.camera_names
            }
            self._episode_images = None
        else:
            self._ram_images = None
            self._episode_images = [e.images for e in episodes]

    def _observed(
        self, episodes: list[Episode], cameras: Sequence[str] | None, extras: Sequence[str]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return the cameras the policy sees and the names of its state dimensions."""
        unknown = [c for c in cameras or () if c not in self.camera_names]
        if unknown:
            raise ValueError(
                f'cameras {unknown} are not in the dataset (it has {list(self.camera_names)})'
            )
        chosen = self.camera_names if cameras is None else tuple(cameras)
        if extras and self.meta is None:
            raise ValueError('state extras need the dataset meta (their names and shapes)')
        names = tuple(self.meta.state_names) if self.meta else ()
        for extra in extras:
            names += self.meta.extra_state_names(extra)
        if not names:
            names = tuple(f'state_{i}' for i in range(episodes[0].states.shape[1]))
        if not chosen and not names:
            raise ValueError('no cameras and no state: the policy would see nothing')
        return chosen, names

    def _window_actions(
        self, states: np.ndarray, actions: np.ndarray, layout: EePoseLayout | None
    ) -> np.ndarray:
        """Return the target chunk of every window, float32 [num_windows, Tp, A]."""
        if layout is None or layout.reference == 'absolute':
            return actions[self._indices]
        observed = states[self._indices[:, self.obs_horizon - 1]]
        at = layout.pose_of_state(observed[:, : len(layout.state_names)])  # extras follow
        relative = layout.relative_to(
            actions[self._indices.reshape(-1)], np.repeat(at, self.pred_horizon, axis=0)
        )
        return relative.reshape(len(self._indices), self.pred_horizon, -1).astype(np.float32)

    def _check_consistent(self, episodes: list[Episode]) -> None:
        if self.meta is not None:
            for e in episodes:
                e.check_against(self.meta)
            return
        first = episodes[0]
        for e in episodes[1:]:
            if set(e.images) != set(self.camera_names):
                raise ValueError(
                    f"{e.name}: cameras {sorted(e.images)} differ from {first.name}'s"
                )
            for c in self.camera_names:
                if e.images[c].shape[1:] != first.images[c].shape[1:]:
                    raise ValueError(
                        f'{e.name}: images[{c!r}] shape {e.images[c].shape[1:]} differs '
                        f"from {first.name}'s {first.images[c].shape[1:]}"
                    )
            if (
                e.states.shape[1] != first.states.shape[1]
                or e.actions.shape[1] != first.actions.shape[1]
            ):
                raise ValueError(f"{e.name}: state/action dims differ from {first.name}'s")

    # ---- worker processes ---------------------------------------------------------------
    def __getstate__(self) -> dict:
        # Pickling a memory map copies its whole contents; send the path and remap instead.
        state = self.__dict__.copy()
        if state['_episode_images'] is not None and self._store_root is not None:
            state['_episode_images'] = None
        return state

    def _images_of_episode(self, k: int) -> dict[str, np.ndarray]:
        if self._episode_images is None:
            store = EpisodeStore.open(self._store_root)
            self._episode_images = [store.episode(i).images for i in range(len(store))]
        return self._episode_images[k]

    # ---- Dataset ------------------------------------------------------------------------
    @property
    def state_dim(self) -> int:
        return int(self._state.shape[1])

    @property
    def action_dim(self) -> int:
        return int(self._actions.shape[2])

    @property
    def num_episodes(self) -> int:
        return len(self.episode_lengths)

    def image_hw(self, camera: str) -> tuple[int, int]:
        return (
            self._ram_images[camera].shape[1:3]
            if self.in_ram
            else self._images_of_episode(0)[camera].shape[1:3]
        )

    def __len__(self) -> int:
        return len(self._indices)

    def __getitem__(self, i: int) -> dict:
        idx = self._indices[i]
        obs = idx[: self.obs_horizon]
        if self.in_ram:
            images = {c: self._ram_images[c][obs] for c in self.camera_names}
        else:
            k = int(self._window_episode[i])
            local = obs - self._offsets[k]
            ep_images = self._images_of_episode(k)
            images = {c: np.asarray(ep_images[c][local]) for c in self.camera_names}
        return {
            'images': {c: torch.from_numpy(img) for c, img in images.items()},
            'state': torch.from_numpy(self._state[obs]),
            'actions': torch.from_numpy(self._actions[i]),
        }


def _state_with_extras(episode: Episode, extras: Sequence[str]) -> np.ndarray:
    """Return the episode's states with each named extra appended, flattened per step."""
    parts = [np.asarray(episode.states, np.float32)]
    for name in extras:
        values = np.asarray(episode.extras[name], np.float32)
        parts.append(values.reshape(len(values), -1))
    return np.concatenate(parts, axis=1)
