# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Push-T, the IMLE Policy paper's own task: a thin wrapper over gym-pusht's PushTEnv.

A disc pusher (radius 15) pushes a T-shaped block (bar 120 x 30, stem 30 x 90) into a fixed
goal pose, (256, 256) at pi/4. Everything is in the env's pixel frame: x and y from 0 to 512,
angles in radians. An action is the pusher's absolute target (x, y); the env tracks it with a
PD law for 10 physics steps of 0.01 s, so one `step` is 0.1 s (10 Hz).

The score is the env's own: `coverage` is the fraction of the goal region the block covers
(shapely intersection, 0..1), the env's reward is min(coverage / 0.95, 1) and its episode
ends (terminated) once coverage > 0.95. `success` is max coverage > 0.95 within the 300-step
limit; `paper_success` is the IMLE Policy paper's count, max reward > 0.95 (coverage > 0.9025).

`snapshot()` / `restore(snap)` copy the physics (pymunk pickles bodies, shapes and cached
contacts) so a planner can try a push and come back. The copy is exact (bit for bit) when no
contact is cached (`in_contact` False); with one, pymunk's restored contacts differ in the
last digits, ~0.01 px a step. The block has no inertia to carry over: the env's damping is 0,
so it moves only while pushed.

gym-pusht is optional (`bash scripts/install_pusht.sh`); it is imported on first use, so the
package imports without it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from ..errors import Refusal

MAX_STEPS = 300  # gym-pusht's registered TimeLimit, also Diffusion Policy's and the paper's
SUCCESS_COVERAGE = 0.95  # the env's success_threshold
AGENT_RADIUS = 15.0  # px, the pusher disc
ARENA = 512.0  # px, actions and positions lie in [0, ARENA]
INSTALL_HINT = 'bash scripts/install_pusht.sh'


class PushTMissing(Refusal, ImportError):
    """gym-pusht is not installed in this environment."""


def load_gym_pusht():
    """Return gym_pusht's PushTEnv class, or refuse with the install command."""
    try:
        from gym_pusht.envs.pusht import PushTEnv as GymPushTEnv
    except ImportError as exc:
        raise PushTMissing(
            f'Push-T needs gym-pusht ({exc}); install it with `{INSTALL_HINT}`'
        ) from exc
    return GymPushTEnv


def gym_pusht_available() -> bool:
    try:
        load_gym_pusht()
    except PushTMissing:
        return False
    return True


@dataclass(frozen=True)
class PushTSnapshot:
    physics: tuple  # (space, agent, block, block shapes), deep-copied
    last_action: np.ndarray | None
    steps: int
    coverage: float
    max_coverage: float
    reward: float


class PushTEnv:
    """`reset(seed)`, then `step(target_xy)` until `done`; see the module docstring."""

    def __init__(self, seed: int | None = None, max_steps: int = MAX_STEPS):
        # environment_state_agent_pos: the cheap observation (keypoints, no rendering); the
        # image is rendered only when asked for, as the env's `pixels` obs type would.
        self._env = load_gym_pusht()(obs_type='environment_state_agent_pos')
        self.max_steps = int(max_steps)
        self.reset(seed)

    # ---- episode ------------------------------------------------------------------------
    def reset(self, seed: int | None = None) -> None:
        """
        Start an episode: the env draws agent (50..450) and block (100..400, any angle).

        The same seed gives the same placement (gymnasium seeds the env's own generator).
        """
        self._env.reset(seed=seed)
        self.goal_pose = np.array(self._env.goal_pose, dtype=np.float64)
        self.steps = 0
        self.coverage = float(self._env._get_coverage())
        self.max_coverage = self.coverage
        self.reward = float(np.clip(self.coverage / SUCCESS_COVERAGE, 0.0, 1.0))

    def step(self, target_xy) -> float:
        """Move the pusher toward target_xy (px, clipped to the arena) for 0.1 s; return reward."""
        if self.done:
            raise RuntimeError('PushTEnv.step after the episode ended; call reset()')
        target = np.asarray(target_xy, dtype=np.float64).reshape(2)
        if not np.all(np.isfinite(target)):
            raise ValueError(f'target_xy must be finite, got {target.tolist()}')
        _, reward, _, _, info = self._env.step(np.clip(target, 0.0, ARENA))
        self.steps += 1
        self.reward = float(reward)
        self.coverage = float(info['coverage'])
        self.max_coverage = max(self.max_coverage, self.coverage)
        return self.reward

    @property
    def success(self) -> bool:
        """Return max coverage > 0.95, the env's own rule: its episode terminates there."""
        return self.max_coverage > SUCCESS_COVERAGE

    @property
    def max_reward(self) -> float:
        return float(np.clip(self.max_coverage / SUCCESS_COVERAGE, 0.0, 1.0))

    @property
    def paper_success(self) -> bool:
        """Return the paper's count, max reward > 0.95, i.e. max coverage > 0.9025."""
        return self.max_reward > SUCCESS_COVERAGE

    @property
    def done(self) -> bool:
        return self.success or self.steps >= self.max_steps

    # ---- observing ----------------------------------------------------------------------
    @property
    def agent_position(self) -> np.ndarray:
        """(2,) pusher centre, px."""
        return np.array(self._env.agent.position, dtype=np.float64)

    @property
    def block_pose(self) -> np.ndarray:
        """(3,) block x, y (px, the T's body origin: the middle of the bar's top edge), angle."""
        block = self._env.block
        return np.array([*block.position, block.angle], dtype=np.float64)

    @property
    def block_keypoints(self) -> np.ndarray:
        """(16,) the T's 8 corners, x0 y0 x1 y1 ..., as the env's keypoint observation has them."""
        return np.asarray(self._env.get_keypoints(self._env._block_shapes), np.float64).ravel()

    @property
    def goal_keypoints(self) -> np.ndarray:
        """(16,) where block_keypoints are when the block sits exactly on the goal."""
        x, y, angle = self.goal_pose
        c, s = np.cos(angle), np.sin(angle)
        local = np.array(
            [v for shape in self._env._block_shapes for v in shape.get_vertices()], np.float64
        )
        return (local @ np.array([[c, s], [-s, c]]) + (x, y)).ravel()

    @property
    def in_contact(self) -> bool:
        """Return whether pymunk caches a contact (a snapshot is then exact only to ~0.01 px)."""
        return bool(self._env.space._get_arbiters())

    def image(self, size: int = 96) -> np.ndarray:
        """uint8 [size, size, 3] RGB, as the env's `pixels` observation (pygame, no display)."""
        env = self._env
        env.observation_width = env.observation_height = int(size)
        return np.asarray(env._render(visualize=False), dtype=np.uint8)

    # ---- planning -----------------------------------------------------------------------
    def snapshot(self) -> PushTSnapshot:
        env = self._env
        # The contact callback is a method of the env: the memo keeps it pointing at this
        # env instead of deep-copying the env (which holds unpicklable cffi handles).
        physics = copy.deepcopy(
            (env.space, env.agent, env.block, env._block_shapes), memo={id(env): env}
        )
        return PushTSnapshot(
            physics,
            None if env._last_action is None else np.array(env._last_action),
            self.steps,
            self.coverage,
            self.max_coverage,
            self.reward,
        )

    def restore(self, snap: PushTSnapshot) -> None:
        """Put the env back to `snap` (which stays usable for more restores)."""
        env = self._env
        space, agent, block, shapes = copy.deepcopy(snap.physics, memo={id(env): env})
        # pymunk restores a body's centre of gravity after its position, which leaves its
        # internal centre stale (the block would jump by 45 px on the next step); setting
        # the position again recomputes it from the now right centre of gravity.
        for body in (agent, block):
            body.position = tuple(body.position)
        env.space, env.agent, env.block, env._block_shapes = space, agent, block, shapes
        env.collision_handeler = space.add_collision_handler(0, 0)  # the env's spelling
        env._last_action = None if snap.last_action is None else np.array(snap.last_action)
        self.steps, self.coverage = snap.steps, snap.coverage
        self.max_coverage, self.reward = snap.max_coverage, snap.reward

    def copy(self) -> PushTEnv:
        """Return an independent env in the same state (for planning on the side)."""
        twin = PushTEnv.__new__(PushTEnv)
        twin._env = copy.copy(self._env)
        # Its own generator: a later reset() of one must not move the other's.
        twin._env._np_random = copy.deepcopy(self._env.np_random)
        twin.max_steps, twin.goal_pose = self.max_steps, self.goal_pose.copy()
        snap = self.snapshot()
        # Rebind the copied contact callback to the twin's own env object.
        snap = PushTSnapshot(
            copy.deepcopy(snap.physics, memo={id(self._env): twin._env}), *_rest(snap)
        )
        twin.restore(snap)
        return twin


def _rest(snap: PushTSnapshot) -> tuple:
    return snap.last_action, snap.steps, snap.coverage, snap.max_coverage, snap.reward
