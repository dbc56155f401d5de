# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Experts that drive a MetaWorldEnv through its Cartesian controller and gripper command.

`ShippedExpert`: Meta-World's own scripted policy for the task (metaworld.policies, one per
task, deterministic). It outputs mocap actions; the target it implies, hand + action[:3] x
action_scale, is what is commanded (the env's controller at gain 1 turns it back into that
action exactly), and its finger effort is binarized, closed above 0, as a gripper command
interface (open / close) would take it.

`TwoWayPushWallExpert`: push-wall-v3 solved round either end of the wall, the side drawn
per episode. Meta-World's expert always goes round the -x end. The wall spans x -0.02 ..
0.22 at y 0.75; the puck starts at x -0.05 .. 0.05, y 0.60 .. 0.65, and the goal lies behind
the wall at x -0.05 .. 0.05, y 0.85 .. 0.90. Both ways grasp the puck as the shipped expert
does (above it, down, close once within 0.1 m), carry it at the grasp height sideways past
the wall's end (x -0.08 or 0.28), past the wall (y 0.80) and onto the goal. The +x way is
longer (about 0.25 m sideways against 0.1 m), so the two are equally good but not equally
short.
"""

from __future__ import annotations

import numpy as np

from .metaworld_env import load_metaworld, MetaWorldEnv

TWO_WAY_TASK = 'push-wall-v3'
SIDES = ('left', 'right')  # round the -x end, round the +x end
SIDE_X = {'left': -0.08, 'right': 0.28}  # m: where the puck passes the wall's end
PAST_WALL_Y = 0.80  # m: the puck is behind the wall (its far face is at 0.76)
HAND_OFFSET = np.array([-0.005, 0.0, 0.0])  # the shipped expert's grasp point off the puck
CARRY_HEIGHT = 0.03  # m above the puck's centre: where the hand aims on the way down


WALL_LINE_Y, WALL_CENTRE_X = 0.75, 0.10  # m: push-wall's wall, where the puck's way is read


def way_round_wall(env: MetaWorldEnv) -> str | None:
    """Return push-wall's way (a SIDES value) once the puck crosses the wall's line, else None."""
    if env.task != TWO_WAY_TASK:
        return None
    puck = env.object_state[:3]
    if puck[1] < WALL_LINE_Y:
        return None
    return SIDES[0] if puck[0] < WALL_CENTRE_X else SIDES[1]


def target_of_action(env: MetaWorldEnv, action) -> tuple[np.ndarray, float]:
    """Return (target pose [7], gripper 0/1) that make env's controller do mocap `action`."""
    action = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
    target = env.ee_pose
    target[:3] = env.hand_position + action[:3] * env.action_scale
    return target, 1.0 if action[3] > 0.0 else 0.0


class ShippedExpert:
    """Meta-World's scripted policy for the task, as pose targets and gripper commands."""

    name = 'metaworld.policies'

    def __init__(self, task: str):
        self._policy = load_metaworld().policies.ENV_POLICY_MAP[task]()
        self.side: str | None = None

    def reset(self, rng: np.random.Generator | None = None) -> None:
        """Start an episode (the shipped experts keep no state and draw nothing)."""

    def act(self, env: MetaWorldEnv) -> tuple[np.ndarray, float]:
        return target_of_action(env, self._policy.get_action(env.expert_obs))


class TwoWayPushWallExpert:
    """push-wall-v3 round either end of the wall, drawn per episode (module docstring)."""

    name = 'imle_policy_ros.sim.metaworld_experts.TwoWayPushWallExpert'
    gain = 10.0  # the shipped experts' P gain on the hand position (action per m)

    def __init__(self, side: str | None = None):
        if side is not None and side not in SIDES:
            raise ValueError(f'side {side!r} is not one of {SIDES}')
        self._fixed_side = side
        self.side = side

    def reset(self, rng: np.random.Generator | None = None) -> None:
        """Start an episode: the side is drawn from rng (fixed if given at construction)."""
        if self._fixed_side is None:
            rng = np.random.default_rng() if rng is None else rng
            self.side = SIDES[int(rng.integers(2))]
        self._grasped, self._sideways_done, self._past_wall = False, False, False

    def act(self, env: MetaWorldEnv) -> tuple[np.ndarray, float]:
        hand, puck = env.hand_position, env.object_state[:3]
        grip = puck + HAND_OFFSET
        if not self._grasped:
            # above the puck, then down onto it, closing (the shipped expert's approach)
            if np.linalg.norm(hand[:2] - grip[:2]) > 0.02:
                return self._toward(env, grip + (0.0, 0.0, 0.2)), 0.0
            if abs(hand[2] - grip[2]) > 0.04:
                # the fingers close only once low enough to close round the puck
                closing = float(abs(hand[2] - grip[2]) <= 0.1)
                return self._toward(env, grip + (0.0, 0.0, CARRY_HEIGHT)), closing
            self._grasped, self._carry_z = True, float(hand[2])
        side_x = SIDE_X[self.side]
        if not self._sideways_done:
            self._sideways_done = abs(puck[0] - side_x) < 0.015
        if not self._sideways_done:
            aim = np.array([side_x, grip[1], self._carry_z])
        elif not (self._past_wall or puck[1] > PAST_WALL_Y):
            aim = np.array([side_x, PAST_WALL_Y + 0.02, self._carry_z])
        else:
            self._past_wall = True
            aim = np.append((env.goal + HAND_OFFSET)[:2], self._carry_z)
        return self._toward(env, aim), 1.0

    def _toward(self, env: MetaWorldEnv, aim) -> np.ndarray:
        move = np.clip(self.gain * (np.asarray(aim) - env.hand_position), -1.0, 1.0)
        target, _ = target_of_action(env, np.append(move, 0.0))
        return target


def expert_for(task: str, two_way: bool = False):
    """Return the expert of `task`: the two-way one for push-wall when asked, else shipped."""
    if two_way:
        if task != TWO_WAY_TASK:
            raise ValueError(f'the two-way expert solves {TWO_WAY_TASK} only, not {task}')
        return TwoWayPushWallExpert()
    return ShippedExpert(task)
