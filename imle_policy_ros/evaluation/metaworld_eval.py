# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Closed-loop Meta-World episodes through the controller, judged by Meta-World itself.

The protocol: episodes on env seeds from 100000 up (`--seed s` starts at 100000 + s; demos
never use those, sim/scene_seeds.py), at most 500 env steps of 12.5 ms, success =
Meta-World's `info["success"]` at any step (the episode ends there, as in its own
evaluation).

The wiring is a real arm's with a Cartesian motion controller: the same PolicyController and
ONNX bundle as the node, on simulated time, ticking at METAWORLD_CONTROL_RATE_HZ unless
told (`--control-rate`). At every env step the env gives the camera
frames (rendered at each step, as the demos were recorded), the joint states (arm, fingers)
and the hand pose; the controller ticks at its own rate in between and its newest command
(a pose target and the gripper open / closed) is what the env's Cartesian controller follows
at the next step. A state policy gets the objects and goal by name beside the joint states
(object_state_*, goal_*), as a tracker would publish them.

Mode share (push-wall only): which end of the wall the puck went round, read where the puck
crosses the wall's line. Plan switches: at each chunk replacement, the new chunk's
waypoints still ahead that the old one also covers are compared with the old one's plan; a
mean difference over SWITCH_THRESHOLD_M is a switch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .closed_loop import EvalConfig
from .simulated_controller import simulated_controller
from ..control.cartesian_executor import CartesianLimits, PoseChunk
from ..control.clock import SimulatedClock
from ..errors import Refusal
from ..runtime import PolicyBundle
from ..runtime.policy_spec import PolicySpec
from ..sim.metaworld_demos import (
    METAWORLD_EXTRA_NAMES,
    METAWORLD_LAYOUT,
    metaworld_live_state,
)
from ..sim.metaworld_env import METAWORLD_RATE_HZ, MetaWorldEnv
from ..sim.metaworld_experts import SIDES, TWO_WAY_TASK, way_round_wall
from ..sim.scene_seeds import EVAL_FIRST_SEED

DEFAULT_EPISODES = 50
# Meta-World caps the hand at 0.01 m per axis per step (0.8 m/s per axis, 1.39 m/s along a
# diagonal): the controller's cap is the env's own, so it clamps nothing a demo did.
HAND_MAX_SPEED = 1.4  # m/s
# The hand lags its target by up to a step at full speed (1.7 cm) and stops against what it
# pushes (a button, the puck at the wall): a chunk of 8 steps blocked is 8-14 cm.
HAND_MAX_TRACKING_ERROR = 0.15  # m
# Meta-World's hand reaches each target within its 12.5 ms step, so a step that finds the
# same target as the last one does not move, and a step sees its target as old as the tick
# it was computed at: ticking slower than the env drives the hand in stops and starts,
# behind its plan. Measured on the two-way push-wall bundle (10 demos, 4000 steps, 100
# scenes): 50 Hz ticks 67%, 100 Hz 80% (50 scenes), 160 Hz 89%, 400 Hz 93% (EVAL.md).
METAWORLD_CONTROL_RATE_HZ = 5 * METAWORLD_RATE_HZ
# Provisional, set from one unimodal policy: on button-press-topdown (10 demos, one way to
# do it) a new chunk's overlap with the replaced one differs by p50 2.1 cm, p90 4.6 cm (the
# hand moves up to 1.7 cm a step, so a re-plan a step early or late is that far off); the
# two ways round push-wall's wall are 36 cm apart. Not yet checked on a two-way policy.
SWITCH_THRESHOLD_M = 0.08


@dataclass
class MetaWorldEpisode:
    seed: int
    success: bool
    steps: int
    way: str | None  # push-wall: the end of the wall the puck went round (None: neither)
    hand_path: np.ndarray
    last_frame: np.ndarray | None
    inference_ms: list = field(default_factory=list)
    overlap_deviations: list = field(default_factory=list)  # m, one per replacement
    gripper_changes: int = 0

    @property
    def switches(self) -> int:
        return int(np.sum(np.asarray(self.overlap_deviations) > SWITCH_THRESHOLD_M))


@dataclass
class MetaWorldReport:
    task: str
    episodes: list[MetaWorldEpisode]
    config: EvalConfig

    def summary(self) -> dict:
        eps = self.episodes
        latencies = np.concatenate([e.inference_ms for e in eps if e.inference_ms] or [[0.0]])
        deviations = [d for e in eps for d in e.overlap_deviations] or [0.0]
        ways = [e.way for e in eps if e.success and e.way is not None]
        controller = self.config.run.controller
        summary = {
            'env': f'metaworld:{self.task}',
            'episodes': len(eps),
            'first_seed': eps[0].seed if eps else None,
            'success_rate': float(np.mean([e.success for e in eps])),
            'mean_steps': float(np.mean([e.steps for e in eps])),
            'switches_per_episode': float(np.mean([e.switches for e in eps])),
            'overlap_deviation_m_p50': float(np.percentile(deviations, 50)),
            'overlap_deviation_m_p90': float(np.percentile(deviations, 90)),
            'gripper_changes_per_episode': float(np.mean([e.gripper_changes for e in eps])),
            'inference_ms_p50': float(np.percentile(latencies, 50)),
            'inference_ms_p99': float(np.percentile(latencies, 99)),
            'temporal_consistency': controller.temporal_consistency,
            'num_samples': controller.num_samples,
        }
        if self.task == TWO_WAY_TASK:
            summary['mode_share'] = {
                s: (ways.count(s) / len(ways) if ways else 0.0) for s in SIDES
            }
        return summary


class NotAMetaWorldBundle(Refusal, ValueError):
    """The bundle commands another robot than Meta-World's Sawyer hand."""


def check_metaworld_bundle(spec: PolicySpec) -> None:
    """Refuse a bundle that does not command the Sawyer hand (trained on other demos)."""
    layout = spec.ee_layout
    if (
        spec.action_kind != 'ee_pose'
        or layout is None
        or layout.action_names != METAWORLD_LAYOUT.action_names
        or layout.gripper != METAWORLD_LAYOUT.gripper
        or layout.base_frame != METAWORLD_LAYOUT.base_frame
    ):
        raise NotAMetaWorldBundle(
            f'this bundle commands {spec.action_kind} {list(spec.action_names)}, not the '
            'Meta-World hand (ee_pose x y z + gripper r_close in world): train it on '
            '`sim-demos --env metaworld:TASK` demos'
        )
    unknown = [n for n in spec.extra_state_names if n not in METAWORLD_EXTRA_NAMES]
    if unknown:
        raise NotAMetaWorldBundle(
            f'this bundle wants state {unknown}, which Meta-World cannot give (it gives '
            'joint_positions_*, object_state_* and goal_*)'
        )


def hand_limits(env: MetaWorldEnv) -> CartesianLimits:
    return CartesianLimits(
        workspace_lower=env.workspace[0],
        workspace_upper=env.workspace[1],
        max_linear_speed=HAND_MAX_SPEED,
        max_angular_speed=1.0,  # rad/s: the hand cannot turn, nothing should
        max_tracking_error=HAND_MAX_TRACKING_ERROR,
    )


def overlap_deviation(old: PoseChunk, new: PoseChunk, now: float) -> float | None:
    """Return how far (mean m) `new` plans the hand from `old`'s plan over their shared future."""
    ahead = (new.times >= now - 1e-9) & (new.times <= old.end_time + 1e-9)
    if not np.any(ahead):
        return None
    planned = np.stack([old.pose_at(float(t))[:3] for t in new.times[ahead]])
    return float(np.mean(np.linalg.norm(new.poses[ahead, :3] - planned, axis=1)))


def run_metaworld_episode(
    bundle: PolicyBundle, env: MetaWorldEnv, cfg: EvalConfig, seed: int, frames=None
) -> MetaWorldEpisode:
    """One episode on env seed `seed`; appends the first camera's frames to `frames`."""
    spec = bundle.spec
    env.reset(seed)
    clock = SimulatedClock(0.0)
    controller = simulated_controller(bundle, hand_limits(env), clock, cfg.run, seed)
    env_period, tick_period = (
        1.0 / METAWORLD_RATE_HZ,
        1.0 / cfg.run.tick_rate(METAWORLD_CONTROL_RATE_HZ),
    )
    next_step, next_tick = 0.0, 0.0
    inference_ms, deviations, path, changes, way = [], [], [env.hand_position], 0, None
    while True:
        now = clock.now()
        if now >= next_step - 1e-9:
            if next_step > 0.0:  # the env moves toward the newest command
                env.step()
                path.append(env.hand_position)
                way = way or way_round_wall(env)
                if env.done:
                    break
            for index, camera in enumerate(spec.cameras):
                frame = env.image(camera.name, camera.width, camera.height)
                controller.on_frame(index, now, frame)
                if frames is not None and index == 0:
                    frames.append(frame)
            names, values = metaworld_live_state(env)
            next_step += env_period
        if now >= next_tick - 1e-9:
            controller.on_joint_state(now, names, values)
            controller.on_ee_pose(now, env.ee_pose)
            running, started = controller.executor.active, controller.stats.chunks_started
            command = controller.tick()
            if running is not None and controller.stats.chunks_started > started:
                deviation = overlap_deviation(running, controller.executor.active, now)
                if deviation is not None:
                    deviations.append(deviation)
            if controller.stats.results > len(inference_ms):
                inference_ms.append(controller.stats.last_inference_ms)
            if command.positions is not None:
                env.command_pose(command.positions)
            if command.gripper is not None:
                env.command_gripper(command.gripper)
                changes += int(command.gripper_changed)
            next_tick += tick_period
        clock.advance(max(min(next_step, next_tick) - clock.now(), 0.0))
    last = env.image(spec.cameras[0].name, 96) if spec.cameras else env.image('corner3', 96)
    return MetaWorldEpisode(
        seed,
        env.success,
        env.steps,
        way,
        np.asarray(path),
        last,
        inference_ms,
        deviations,
        changes,
    )


def evaluate_metaworld(
    bundle: PolicyBundle,
    task: str,
    cfg: EvalConfig,
    progress: bool = True,
    first_episode_frames: list | None = None,
) -> MetaWorldReport:
    """Episodes on env seeds 100000 + cfg.seed, + 1, ...; cfg.episodes or 50."""
    from tqdm import tqdm

    check_metaworld_bundle(bundle.spec)
    env = MetaWorldEnv(task)
    count = cfg.episodes if cfg.episodes is not None else DEFAULT_EPISODES
    results: list[MetaWorldEpisode] = []
    bar = tqdm(range(count), desc=f'eval {env.task}', unit='episode', disable=not progress)
    try:
        for i in bar:
            frames = first_episode_frames if i == 0 else None
            seed = EVAL_FIRST_SEED + cfg.seed + i
            results.append(run_metaworld_episode(bundle, env, cfg, seed, frames))
            bar.set_postfix(success=f'{np.mean([r.success for r in results]):.0%}')
    finally:
        env.close()
    return MetaWorldReport(env.task, results, cfg)
