# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The Push-T scripted expert: sampled pushes, each tried on a copy of the physics.

At each decision (the pusher clear of the block) it samples candidate pushes: a contact
point on the T's outline, a push direction within ~30 degrees of the inward normal there and a
depth (1..150 px past first contact). Each comes with an approach that goes round the block
without touching it: straight out of where the pusher is, along a ring about the T's convex
hull grown by the pusher's radius and a margin, then in along the contact's normal. Every
candidate (approach, push, a short retreat) runs on a snapshot of the env, and the expert
executes the one that leaves the T's keypoints closest to the goal's, with a small charge per
step; a push that reaches the env's success ends the episode and beats all others.

It is randomised by its rng: the candidates themselves, the way round the ring when both are
about as long, and the pick among near-best pushes (those within `near_best` of the best
gain). So the same scene is solved in different ways (first contact side, push order) by
different expert seeds, which is what makes demonstrations multi-modal.

Units are the env's: pixels (0..512) and radians, the T's local frame as gym-pusht defines it
(bar x in -60..60, y in 0..30; stem x in -15..15, y in 30..120).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .pusht_env import AGENT_RADIUS, ARENA, PushTEnv

# The T's outline and convex hull in its local frame, counter-clockwise.
T_OUTLINE = np.array(
    [(-60, 0), (60, 0), (60, 30), (15, 30), (15, 120), (-15, 120), (-15, 30), (-60, 30)], float
)
T_HULL = np.array([(-60, 0), (60, 0), (60, 30), (15, 120), (-15, 120), (-60, 30)], float)
T_RECTS = np.array([(-60, 0, 60, 30), (-15, 30, 15, 120)], float)  # x0, y0, x1, y1
EDGE_NAMES = ('bar_top', 'bar_right', 'bar_under_r', 'stem_right', 'stem_end', 'stem_left',
              'bar_under_l', 'bar_left')  # fmt: skip


@dataclass(frozen=True)
class ExpertSettings:
    candidates: int = 48  # random pushes per decision
    refinements: int = 16  # perturbations of the best few
    gap: float = 4.0  # px between pusher and block before a push
    ring_margin: float = 25.0  # px beyond the pusher's radius, the ring about the hull
    approach_speed: float = 30.0  # px per step along the approach
    push_speed: float = 20.0  # px per step while pushing
    max_depth: float = 150.0  # px past first contact
    max_turn: float = 0.55  # rad between push direction and the inward normal
    retreat: float = 8.0  # px back along the push after it
    step_overhead: float = 8.0  # steps added to each push's length when rating its progress
    near_best: float = 0.85  # pick at random among pushes with at least this share of the best
    lead: int = 1  # steps the approach targets run ahead of the path (the PD lag at speed)
    braking: float = 8.0  # px per step per step, the slow-down at the end of an approach
    stand: float = 10.0  # px out from the pre-push point where the fast approach ends


@dataclass(frozen=True)
class Push:
    edge: int  # index into EDGE_NAMES: where the pusher meets the T (-1: a back-off)
    along: float  # 0..1, where along that edge
    turn: float  # rad, push direction from the inward normal
    direction: float  # rad, world angle of the push
    depth: float  # px past first contact
    targets: np.ndarray = field(repr=False)  # [N, 2] pusher targets, approach included
    cost: float = np.inf  # mean keypoint error (px) to the goal after it
    solved: bool = False  # the env's success was reached during it

    @property
    def edge_name(self) -> str:
        return EDGE_NAMES[self.edge] if self.edge >= 0 else 'back_off'


def to_world(local: np.ndarray, pose: np.ndarray) -> np.ndarray:
    c, s = np.cos(pose[2]), np.sin(pose[2])
    return local @ np.array([[c, s], [-s, c]]) + pose[:2]


def to_local(world: np.ndarray, pose: np.ndarray) -> np.ndarray:
    c, s = np.cos(pose[2]), np.sin(pose[2])
    return (np.asarray(world, float) - pose[:2]) @ np.array([[c, -s], [s, c]])


def t_distance(world: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Distance (px) from points [N, 2] to the T (0 inside)."""
    p = to_local(np.atleast_2d(world), pose)[:, None, :]
    lo, hi = T_RECTS[None, :, :2], T_RECTS[None, :, 2:]
    gap = np.maximum(np.maximum(lo - p, p - hi), 0.0)
    return np.linalg.norm(gap, axis=-1).min(axis=1)


def nearest_on_t(world: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """Return the point of the T (world) nearest to a point outside it."""
    p = to_local(world, pose)
    near = np.clip(p, T_RECTS[:, :2], T_RECTS[:, 2:])
    return to_world(near[np.argmin(np.linalg.norm(near - p, axis=1))], pose)


def hull_ring(pose: np.ndarray, offset: float, n: int = 72) -> np.ndarray:
    """[n, 2] the hull grown by `offset`, by outward normal angle (counter-clockwise)."""
    hull = to_world(T_HULL, pose)
    phi = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    u = np.stack([np.cos(phi), np.sin(phi)], axis=1)
    support = hull[np.argmax(u @ hull.T, axis=1)]
    return support + offset * u


def _segment(a, b, spacing: float) -> np.ndarray:
    n = max(1, int(np.ceil(np.linalg.norm(np.subtract(b, a)) / spacing)))
    return np.asarray(a) + np.linspace(0.0, 1.0, n + 1)[1:, None] * np.subtract(b, a)


def _timed(polyline: np.ndarray, st: ExpertSettings) -> np.ndarray:
    """
    Return one target per step along the polyline: cruise, then slow down to a stop.

    The targets run `lead` steps ahead of the timed path, which is about the PD's lag at
    cruise; the slow-down keeps that lead from flinging the pusher past the end.
    """
    s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(polyline, axis=0), axis=1))])
    stations, here = [], 0.0
    while here < s[-1]:
        here = min(
            s[-1], here + min(st.approach_speed, np.sqrt(2 * st.braking * (s[-1] - here)) + 2)
        )
        stations.append(here)
    keep = min(st.lead, len(stations) - 1)
    stations = np.array(stations[keep:])
    return np.stack([np.interp(stations, s, polyline[:, i]) for i in range(2)], axis=-1)


def _clear(path: np.ndarray, pose: np.ndarray, clearance: float) -> bool:
    return bool(np.all(t_distance(path, pose) >= clearance))


class PushTExpert:
    """`act(env)` gives the next pusher target; it replans whenever its last push is done."""

    def __init__(self, rng: np.random.Generator, settings: ExpertSettings = ExpertSettings()):
        self.rng, self.settings = rng, settings
        self.pushes: list[Push] = []  # executed, in order
        self._queue: list[np.ndarray] = []

    def reset(self) -> None:
        self.pushes, self._queue = [], []

    def act(self, env: PushTEnv) -> np.ndarray:
        if not self._queue:
            push = self.plan(env)
            self.pushes.append(push)
            self._queue = list(push.targets)
        return self._queue.pop(0)

    # ---- one decision -------------------------------------------------------------------
    def plan(self, env: PushTEnv) -> Push:
        """Try candidate pushes on snapshots of env; return the one to execute (env unchanged)."""
        snap = env.snapshot()
        pose, agent = env.block_pose, env.agent_position
        start_cost = self._error(env)
        tried: list[Push] = []
        for _ in range(self.settings.candidates):
            tried += self._tried(env, snap, self._sample(pose, agent))
        best = sorted(tried, key=lambda p: p.cost)[:4]
        for _ in range(self.settings.refinements if best else 0):
            parent = best[int(self.rng.integers(len(best)))]
            tried += self._tried(env, snap, self._perturb(parent, pose, agent))
        env.restore(snap)
        if not tried:
            return self._back_off(pose, agent)
        solved = [p for p in tried if p.solved]
        if solved:
            return min(solved, key=lambda p: len(p.targets))
        rates = np.array([self._rate(start_cost, p) for p in tried])
        if rates.max() <= 0:
            return min(tried, key=lambda p: p.cost)
        near = np.flatnonzero(rates >= self.settings.near_best * rates.max())
        return tried[int(near[self.rng.integers(len(near))])]

    def _rate(self, start_cost: float, push: Push) -> float:
        # Progress per step, with a fixed overhead so that tiny quick pushes do not win.
        return (start_cost - push.cost) / (len(push.targets) + self.settings.step_overhead)

    def _error(self, env: PushTEnv) -> float:
        diff = (env.block_keypoints - env.goal_keypoints).reshape(-1, 2)
        return float(np.linalg.norm(diff, axis=1).mean())

    def _tried(self, env: PushTEnv, snap, push: Push | None) -> list[Push]:
        if push is None:
            return []
        env.restore(snap)
        pose = env.block_pose
        approach = len(push.targets) - self._push_steps(push.depth)
        for i, target in enumerate(push.targets):
            env.step(target)
            # (A block that starts touching the pusher may settle by a hair: allowed.)
            if i < approach and np.any(np.abs(env.block_pose - pose) > (0.05, 0.05, 0.002)):
                return []  # the approach touched the block: not the push we meant
            if env.done:
                break
        cost = self._error(env)
        return [replace(push, targets=push.targets[: i + 1], cost=cost, solved=env.success)]

    # ---- candidates ---------------------------------------------------------------------
    def _sample(self, pose: np.ndarray, agent: np.ndarray) -> Push | None:
        edges = np.roll(T_OUTLINE, -1, axis=0) - T_OUTLINE
        lengths = np.linalg.norm(edges, axis=1)
        edge = int(self.rng.choice(len(edges), p=lengths / lengths.sum()))
        along = self.rng.uniform(0.05, 0.95)
        turn = self.rng.uniform(-self.settings.max_turn, self.settings.max_turn)
        depth = float(np.exp(self.rng.uniform(0.0, np.log(self.settings.max_depth))))
        return self._build(pose, agent, edge, along, turn, depth)

    def _perturb(self, parent: Push, pose: np.ndarray, agent: np.ndarray) -> Push | None:
        along = float(np.clip(parent.along + self.rng.normal(0, 0.08), 0.02, 0.98))
        turn = float(np.clip(parent.turn + self.rng.normal(0, 0.1), -0.8, 0.8))
        depth = parent.depth * np.exp(self.rng.normal(0, 0.3))
        depth = float(np.clip(depth, 0.5, self.settings.max_depth))
        return self._build(pose, agent, parent.edge, along, turn, depth)

    def _build(self, pose, agent, edge: int, along: float, turn: float, depth: float):
        st = self.settings
        a, b = T_OUTLINE[edge], T_OUTLINE[(edge + 1) % len(T_OUTLINE)]
        c, s = np.cos(pose[2]), np.sin(pose[2])
        rot = np.array([[c, s], [-s, c]])
        tangent = (b - a) / np.linalg.norm(b - a)
        normal = np.array([tangent[1], -tangent[0]]) @ rot  # outward (the outline is CCW)
        contact = to_world(a + along * (b - a), pose)
        stand_off = AGENT_RADIUS + st.gap
        pre = contact + stand_off * normal
        if t_distance(pre, pose)[0] < stand_off - 0.5:
            return None  # a corner of the T's notch: no room for the pusher
        # Fast to a stand point out along the normal, then in at pushing speed: arriving fast
        # would overshoot into the block (the PD keeps its momentum).
        stand = pre + st.stand * normal
        corners = self._approach(pose, agent, contact, normal, stand)
        if corners is None or not _clear(_segment(stand, pre, 3.0), pose, stand_off - 0.5):
            return None
        approach = np.concatenate([_timed(corners, st), _segment(stand, pre, st.push_speed)])
        angle = np.arctan2(-normal[1], -normal[0]) + turn
        direction = np.array([np.cos(angle), np.sin(angle)])
        travel = st.gap + depth
        push = _segment(pre, pre + travel * direction, st.push_speed)
        end = push[-1]
        tail = [end, end, end - st.retreat * direction]  # settle (the PD lags), then let go
        targets = np.clip(np.concatenate([approach, push, tail]), 0.0, ARENA)
        return Push(edge, along, turn, float(angle), float(depth), targets)

    def _push_steps(self, depth: float) -> int:
        travel = self.settings.gap + depth
        return max(1, int(np.ceil(travel / self.settings.push_speed))) + 3

    def _approach(self, pose, agent, contact, normal, stand) -> np.ndarray | None:
        """Corners of a path from the pusher to `stand` clear of the T, or None."""
        st = self.settings
        clearance = AGENT_RADIUS + 4.0
        if _clear(_segment(agent, stand, 3.0), pose, clearance):
            return np.array([agent, stand])
        ring_offset = AGENT_RADIUS + st.ring_margin
        ring = hull_ring(pose, ring_offset)
        # Out: straight away from the nearest point of the T, until on the ring.
        away = agent - nearest_on_t(agent, pose)
        away /= max(np.linalg.norm(away), 1e-9)
        exit_point = self._walk_out(pose, agent, away, ring_offset)
        entry = self._walk_out(pose, contact, normal, ring_offset)
        if exit_point is None or entry is None:
            return None
        if not _clear(_segment(entry, stand, 3.0), pose, clearance):
            return None
        i = int(np.argmin(np.linalg.norm(ring - exit_point, axis=1)))
        j = int(np.argmin(np.linalg.norm(ring - entry, axis=1)))
        n = len(ring)
        ccw, cw = (j - i) % n, (i - j) % n
        if abs(ccw - cw) <= n // 8:  # about as long either way: the rng picks
            ccw_way = bool(self.rng.integers(2))
        else:
            ccw_way = ccw < cw
        idx = (i + np.arange(ccw + 1)) % n if ccw_way else (i - np.arange(cw + 1)) % n
        return np.array([agent, exit_point, *ring[idx], entry, stand])

    def _walk_out(self, pose, start, direction, offset: float) -> np.ndarray | None:
        hull = to_world(T_HULL, pose)
        for t in np.arange(0.0, 260.0, 2.0):
            p = start + t * direction
            if _hull_distance(p, hull) >= offset:
                return p
        return None

    def _back_off(self, pose: np.ndarray, agent: np.ndarray) -> Push:
        """No candidate worked: step straight away from the T (a fresh view next time)."""
        away = agent - nearest_on_t(agent, pose)
        away /= max(np.linalg.norm(away), 1e-9)
        target = np.clip(agent + 20.0 * away, 0.0, ARENA)
        return Push(-1, 0.0, 0.0, float(np.arctan2(away[1], away[0])), 0.0, target[None])


def run_expert(env: PushTEnv, expert: PushTExpert) -> np.ndarray:
    """Drive env with the expert until the episode ends; return the [N, 2] targets sent."""
    targets = []
    while not env.done:
        targets.append(expert.act(env))
        env.step(targets[-1])
    return np.array(targets).reshape(-1, 2)


def _hull_distance(p: np.ndarray, hull: np.ndarray) -> float:
    """Distance from p to a convex counter-clockwise polygon (0 inside)."""
    a, b = hull, np.roll(hull, -1, axis=0)
    ab = b - a
    t = np.clip(((p - a) * ab).sum(1) / (ab * ab).sum(1), 0.0, 1.0)
    d = np.linalg.norm(a + t[:, None] * ab - p, axis=1).min()
    inside = np.all(ab[:, 0] * (p - a)[:, 1] - ab[:, 1] * (p - a)[:, 0] >= 0)
    return 0.0 if inside else float(d)
