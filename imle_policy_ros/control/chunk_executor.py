# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Executes time-indexed action chunks: one safe command for any moment.

A chunk's waypoints carry absolute times (derived from the stamp of the observation it
came from), so a chunk that arrives late simply starts further along: waypoints whose time
has passed are skipped, never replayed. Between waypoints the command is interpolated at
the control rate. At a switch, the new chunk is cross-faded in over `blend_time`, and every
command is clipped to the position limits and rate-limited to the velocity limits relative
to the previous command. When the chunk runs out the executor holds its last waypoint: it
never extrapolates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Chunk:
    times: np.ndarray  # [K] absolute waypoint times, strictly increasing
    positions: np.ndarray  # [K, D]
    t_obs: float  # stamp of the observation the chunk was computed from

    @property
    def end_time(self) -> float:
        return float(self.times[-1])

    def position_at(self, t: float) -> np.ndarray:
        """
        Interpolate linearly between the waypoints at time t.

        Before the first waypoint its position, after the last the last one (a hold, not an
        extrapolation).
        """
        return np.array(
            [
                np.interp(t, self.times, self.positions[:, j])
                for j in range(self.positions.shape[1])
            ]
        )


@dataclass(frozen=True)
class JointLimits:
    lower: np.ndarray
    upper: np.ndarray
    velocity: np.ndarray  # rad/s (or m/s), > 0

    @classmethod
    def create(cls, dim: int, lower=-np.inf, upper=np.inf, velocity=1.0) -> 'JointLimits':
        def as_array(v):
            return np.broadcast_to(np.asarray(v, dtype=np.float64), (dim,)).copy()

        limits = cls(as_array(lower), as_array(upper), as_array(velocity))
        if np.any(limits.lower >= limits.upper):
            raise ValueError('every position lower limit must be below its upper limit')
        if np.any(limits.velocity <= 0) or not np.all(np.isfinite(limits.velocity)):
            raise ValueError('velocity limits must be positive and finite')
        return limits

    def contains(self, positions: np.ndarray, tolerance: float = 1e-9) -> bool:
        return bool(
            np.all(positions >= self.lower - tolerance)
            and np.all(positions <= self.upper + tolerance)
        )


class ChunkSwitching:
    """
    Which chunk runs, and what the one it replaced is faded out from.

    Shared by the joint and the Cartesian executors: a switch fades from the running chunk,
    or from the held command when nothing ran, over `blend_time` from the switch.
    """

    # set by each executor's __init__ (a Chunk or a PoseChunk, a position or a pose)
    active: Any
    last_command: Any
    _blend_from: Any
    _blend_hold: Any
    _switch_time: float

    def clear(self) -> None:
        """Drop every chunk (hold); the last command stays what a hold repeats."""
        self.active = self._blend_from = None
        self._blend_hold = None

    def chunk_finished(self, now: float) -> bool:
        return self.active is not None and now > self.active.end_time

    def _take_over(self, chunk, now: float) -> None:
        if self.active is not None:
            self._blend_from, self._blend_hold = self.active, None
        else:
            self._blend_from, self._blend_hold = None, self.last_command
        self._switch_time = now
        self.active = chunk


class ChunkExecutor(ChunkSwitching):
    """Turns the active chunk into one limited command for any moment."""

    def __init__(self, limits: JointLimits, blend_time: float = 0.1):
        self.limits = limits
        self.blend_time = blend_time
        self.active: Chunk | None = None
        self._blend_from: Chunk | None = None  # the chunk being faded out
        self._blend_hold: np.ndarray | None = None  # or the held position being faded out
        self._switch_time = -np.inf
        self.last_command: np.ndarray | None = None
        self._last_time: float | None = None

    # ---- state changes ----------------------------------------------------------------
    def start_from(self, position: np.ndarray, now: float) -> None:
        """
        (Re)start at the arm's measured position with no chunk.

        After a hold the first command continues from where the arm is, never with a jump.
        """
        self.active = self._blend_from = None
        self._blend_hold = None
        self.last_command = self.limits_clip(np.asarray(position, dtype=np.float64))
        self._last_time = now

    def switch_to(self, chunk: Chunk, now: float) -> float:
        """
        Make `chunk` the active one, cross-fading from what was being commanded.

        Returns the jump at the boundary: the distance between the last command and where
        the new chunk would put the arm now (a diagnostic of how much the plans disagree).
        """
        new_now = chunk.position_at(now)
        jump = (
            float(np.linalg.norm(new_now - self.last_command))
            if self.last_command is not None
            else 0.0
        )
        self._take_over(chunk, now)
        return jump

    # ---- output -----------------------------------------------------------------------
    def command(self, now: float) -> np.ndarray | None:
        """Return the position to command at `now` (None before any start); advance the state."""
        if self.last_command is None:
            return None
        if self.active is None:
            target = self.last_command
        else:
            target = self._blended_target(now)
        command = self._limited(target, now)
        self.last_command, self._last_time = command, now
        return command

    def remaining_waypoints(self, now: float) -> tuple[np.ndarray, np.ndarray]:
        """
        Return the waypoints still ahead (times from now, positions) for trajectory interfaces.

        Each is limited like the streamed commands: in bounds, and reachable from the previous
        one within the velocity limit. Empty when there is no chunk.
        """
        if self.active is None or self.last_command is None:
            return np.zeros(0), np.zeros((0, len(self.limits.lower)))
        ahead = self.active.times > now
        times, points = [], []
        previous, previous_t = self.last_command, now
        for t in self.active.times[ahead]:
            target = self.limits_clip(self._blended_target(float(t)))
            step = self.limits.velocity * (t - previous_t)
            previous = previous + np.clip(target - previous, -step, step)
            previous_t = t
            times.append(t - now)
            points.append(previous)
        return np.asarray(times), np.asarray(points).reshape(len(times), -1)

    # ---- helpers ----------------------------------------------------------------------
    def _blended_target(self, t: float) -> np.ndarray:
        assert self.active is not None, 'a blend needs the chunk it blends into'
        target = self.active.position_at(t)
        w = (t - self._switch_time) / self.blend_time if self.blend_time > 0 else 1.0
        if w >= 1.0:
            return target
        old = self._blend_from.position_at(t) if self._blend_from is not None else self._blend_hold
        if old is None:
            return target
        w = max(w, 0.0)
        return (1.0 - w) * old + w * target

    def limits_clip(self, position: np.ndarray) -> np.ndarray:
        return np.clip(position, self.limits.lower, self.limits.upper)

    def _limited(self, target: np.ndarray, now: float) -> np.ndarray:
        target = self.limits_clip(target)
        elapsed = max(0.0, now - self._last_time) if self._last_time is not None else 0.0
        step = self.limits.velocity * elapsed
        return self.last_command + np.clip(target - self.last_command, -step, step)
