# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Positions in the state seen from the end effector: the one rule, for training and running.

An end-effector policy that reads object and goal positions (from a tracker, or a
simulator's state) learns them far better as offsets from the hand than as base-frame
coordinates: what the hand must do next depends on where the object is *from the hand*,
the same at every place on the table, so a few demonstrations cover scenes they never saw.
The relative actions (runtime/ee_layout.py) already are offsets from the hand; this puts
the inputs in the same terms. On Meta-World push with 10 demos it took success from 26% to
54% (EVAL.md, "Meta-World").

A bundle lists such positions as state names in x, y, z triples (policy.json
`state.relative_to_ee`); each triple becomes `value - measured end-effector position`, in
the base frame (not turned into the hand's frame: the relative actions are base-frame
offsets too), before normalization. Training fits the statistics on the converted values.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import Refusal


class NotHandRelative(Refusal, ValueError):
    """relative_to_ee does not name position triples of an end-effector state."""


EE_POSITION_NAMES = ('ee_x', 'ee_y', 'ee_z')  # the start of an ee_pose layout's state


def relative_problems(state_names: Sequence[str], relative: Sequence[str]) -> list[str]:
    """Return what is wrong with `relative` as position triples of this state (none: [])."""
    state_names, relative = tuple(state_names), tuple(relative)
    if not relative:
        return []
    problems = []
    if state_names[:3] != EE_POSITION_NAMES:
        problems.append(
            f'positions relative to the end effector need its position in the state '
            f'({", ".join(EE_POSITION_NAMES)} first, an ee_pose policy); the state is '
            f'{list(state_names[:3])}...'
        )
    if len(relative) % 3:
        problems.append(
            f'relative_to_ee lists {len(relative)} names: give positions as x, y, z triples'
        )
    unknown = [n for n in relative if n not in state_names]
    if unknown:
        problems.append(f'relative_to_ee names {unknown}, which are not in the state')
    if len(set(relative)) != len(relative):
        problems.append(f'relative_to_ee {list(relative)} names a dimension twice')
    own = [n for n in relative if n in EE_POSITION_NAMES]
    if own:
        problems.append(f'relative_to_ee names the end effector itself ({own})')
    return problems


def relative_indices(state_names: Sequence[str], relative: Sequence[str]) -> np.ndarray:
    """Return [K, 3] state indices of the triples; NotHandRelative naming the problem."""
    problems = relative_problems(state_names, relative)
    if problems:
        raise NotHandRelative('; '.join(problems))
    index = {n: i for i, n in enumerate(state_names)}
    return np.array([index[n] for n in relative], dtype=np.int64).reshape(-1, 3)


def to_hand_relative(states: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """
    Return states [..., S] with each triple of `indices` made relative to the hand.

    The hand's position is the first three dimensions; a new array, the input untouched.
    """
    states = np.asarray(states)
    out = states.copy()
    hand = states[..., :3]
    for triple in indices:
        out[..., triple] = states[..., triple] - hand
    return out
