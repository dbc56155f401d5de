# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Resampling a recording's topics onto the dataset's step grid, by timestamp (numpy only).

Steps are `rate` apart in integer nanoseconds, starting when every required topic has
delivered at least one message (before that some input of the first step is missing).
Each step takes, from every observation topic, the newest message stamped at or before
the step time (never one from the future: the policy cannot see ahead either). The
action is

- `command`: the newest command at or before the step time, i.e. what the arm was being
  told to reach at that instant. Steps end at the last command.
- `next_state`: the joint state (or end-effector pose: whichever series is named as the
  state) one step later, for recordings without commands, e.g. kinesthetic teaching.
  Steps end one step before the last state.

Held inputs (a gripper command beside the arm's) are read as commands are: the newest at
or before the step, required before the first step, never stale (a command holds until
the next one is sent, however long that takes).

A step whose newest observation (or, for next_state, the later state) is older than
`max_age` is dropped: a camera that stalled must not pair an old frame with new joint
positions. Dropped steps leave a gap in the stamps; training windows do not see gaps, so
the report counts them and a bag with many should be re-recorded. A kept step whose input
is older than half a step is counted as misaligned (kept, but worth knowing about).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

ACTION_FROM = ('command', 'next_state')
_NS = 1_000_000_000


@dataclass(frozen=True)
class Alignment:
    step_times_ns: np.ndarray  # int64 [T], the kept steps
    observation_indices: dict[str, np.ndarray]  # input name -> int64 [T] message index per step
    action_indices: np.ndarray  # int64 [T] into the command series, or the joint-state series
    grid_steps: int  # steps on the grid before any was dropped
    dropped: dict[str, int]  # input name -> steps dropped because its message was too old
    misaligned: int  # kept steps with some input older than half a step
    max_input_age_ns: int  # over the kept steps
    # the grid time one step after each kept step (what next_state reads)
    next_times_ns: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    # held input name -> int64 [T] message index per step
    held_indices: dict[str, np.ndarray] = field(default_factory=dict)


def step_period_ns(rate_hz: float) -> float:
    if not (np.isfinite(rate_hz) and rate_hz > 0):
        raise ValueError(f'rate must be > 0 Hz, got {rate_hz}')
    return _NS / rate_hz


def _latest(stamps: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Index of the newest stamp <= each time (-1 where there is none)."""
    return np.searchsorted(stamps, times, side='right') - 1


def align(
    observations: Mapping[str, np.ndarray],
    actions: np.ndarray,
    rate_hz: float,
    action_from: str = 'command',
    joint_state_name: str = 'joint_states',
    max_age_ns: int | None = None,
    held: Mapping[str, np.ndarray] | None = None,
) -> Alignment:
    """
    Align `observations` and `actions` on a grid of `rate_hz`.

    `observations` maps name -> non-decreasing int64 stamps, one of them the joint states
    named `joint_state_name` (the series next_state reads the action from); `actions` are
    the command stamps (ignored for next_state); `held` maps name -> stamps of further
    commands. max_age_ns defaults to two steps.
    """
    if action_from not in ACTION_FROM:
        raise ValueError(f'action_from must be one of {ACTION_FROM}, got {action_from!r}')
    if joint_state_name not in observations:
        raise ValueError(f'observations lack the joint states {joint_state_name!r}')
    period = step_period_ns(rate_hz)
    max_age = int(round(2 * period)) if max_age_ns is None else int(max_age_ns)
    states = observations[joint_state_name]
    required = [np.asarray(s, dtype=np.int64) for s in observations.values()]
    if action_from == 'command':
        required.append(np.asarray(actions, dtype=np.int64))
    held = {name: np.asarray(s, dtype=np.int64) for name, s in (held or {}).items()}
    required += list(held.values())
    if any(len(s) == 0 for s in required):
        return _empty(observations, held)
    start = max(int(s[0]) for s in required)
    if action_from == 'command':
        end, lead = int(actions[-1]), 0  # last step at or before the last command
    else:
        end, lead = int(states[-1]), 1  # the step one later must still have a state
    # round(k * period) from the start, not a running sum: no drift over long recordings,
    # and at rates dividing 1e9 the steps land exactly on frames of commensurate cameras.
    count = int(np.floor((end - start) / period + 1e-9)) + 1 - lead
    if count <= 0:
        return _empty(observations, held)
    inside = count + lead  # grid points at or before the end
    k = np.arange(inside + 1, dtype=np.int64)  # and one more: the step after the last
    grid = start + np.round(k * period).astype(np.int64)
    while inside > lead and grid[inside - 1] > end:  # float rounding at the very end
        inside -= 1
    steps = inside - lead
    times, later = grid[:steps], grid[1:][:steps]
    if len(times) == 0:
        return _empty(observations, held)

    indices = {
        name: _latest(np.asarray(s, dtype=np.int64), times) for name, s in observations.items()
    }
    ages = {
        name: times - np.asarray(observations[name], dtype=np.int64)[idx]
        for name, idx in indices.items()
    }
    if action_from == 'command':
        action_idx = _latest(np.asarray(actions, dtype=np.int64), times)
    else:
        action_idx = _latest(np.asarray(states, dtype=np.int64), later)
        ages[f'next {joint_state_name}'] = later - np.asarray(states, dtype=np.int64)[action_idx]
    stale = {name: age > max_age for name, age in ages.items()}
    keep = ~np.logical_or.reduce(list(stale.values()))
    # Counted once per step, against the first input that made it stale.
    dropped, already = {}, np.zeros(len(times), dtype=bool)
    for name, s in stale.items():
        dropped[name] = int(np.sum(s & ~already))
        already |= s
    kept_ages = (
        np.stack([a[keep] for a in ages.values()]) if keep.any() else np.zeros((1, 0), np.int64)
    )
    misaligned = int(np.sum(np.any(kept_ages > period / 2, axis=0))) if kept_ages.size else 0
    return Alignment(
        step_times_ns=times[keep],
        observation_indices={name: idx[keep] for name, idx in indices.items()},
        action_indices=action_idx[keep],
        grid_steps=len(times),
        dropped=dropped,
        misaligned=misaligned,
        max_input_age_ns=int(kept_ages.max()) if kept_ages.size else 0,
        next_times_ns=later[keep],
        held_indices={name: _latest(s, times)[keep] for name, s in held.items()},
    )


def _empty(observations: Mapping[str, np.ndarray], held: Mapping | None = None) -> Alignment:
    none = np.zeros(0, dtype=np.int64)
    return Alignment(
        none,
        dict.fromkeys(observations, none),
        none,
        0,
        {},
        0,
        0,
        none,
        dict.fromkeys(held or {}, none),
    )
