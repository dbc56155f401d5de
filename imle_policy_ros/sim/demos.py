# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Demonstrations from the scripted expert, written as a training dataset.

Each step at the dataset rate records what a real recording would: the camera frame
and joint positions *before* acting, and the joint command sent at that instant (the
expert's plan one step ahead). The episode runs until the plan is done and then holds
at the target for a few steps, so a policy also learns to stop there.

Every episode's scene and side are drawn up front from (seed, episode index): any
episode is reproducible on its own, and the side of every episode is known before
recording, so meta.json can say how the two modes are shared.
"""

from __future__ import annotations

from dataclasses import asdict
import math
from pathlib import Path

import numpy as np

from .camera import CAMERA_NAME
from .demo_config import DemoConfig
from .expert import ExpertSettings, ScriptedExpert
from .reach_env import ReachEnv
from .reach_task import sample_scene, SIDES, TASK_NAME, TaskScene
from ..data.episode_store import (
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    write_dataset_atomically,
)

GENERATOR_NAME = 'imle_policy_ros.sim'


def draw_episodes(n: int, seed: int) -> list[tuple[TaskScene, str]]:
    """(scene, side) for episodes 0..n-1; episode i depends only on (seed, i)."""
    episodes = []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        scene = sample_scene(rng)
        episodes.append((scene, SIDES[int(rng.integers(2))]))
    return episodes


def episode_steps(plan_duration: float, dt: float, hold_steps: int) -> int:
    """
    Return the number of steps of an episode.

    Step k commands the plan at (k+1)*dt, so the step that reaches the end is
    ceil(duration/dt) - 1; the hold steps then keep commanding the final position.
    """
    return math.ceil(plan_duration / dt - 1e-9) + hold_steps


def check_expert_outcome(env: ReachEnv, scene: TaskScene, side: str, name: str) -> None:
    """Raise RuntimeError unless the episode in `env` reached the target on `side` (else a bug)."""
    status = env.status()
    if not status.success or status.collision or status.side != side:
        raise RuntimeError(
            f'{name}: expert failed (target {scene.target_xy}, side {side}): {status}'
        )


def demo_provenance(
    drawn: list[tuple[TaskScene, str]],
    seed: int,
    physics_dt: float,
    hold_steps: int,
    settings: ExpertSettings,
) -> dict:
    """
    Describe what produced a set of demos.

    That is: seed, expert settings, per episode its target and side, and the side counts (so
    the share of each mode is known without reading the episodes).
    """
    sides = [side for _, side in drawn]
    return {
        'generator': GENERATOR_NAME,
        'task': TASK_NAME,
        'seed': seed,
        'physics_dt': physics_dt,
        'hold_steps': hold_steps,
        'expert': asdict(settings),
        'side_counts': {s: sides.count(s) for s in SIDES},
        'episode_sides': sides,
        'episode_targets': [[round(v, 6) for v in scene.target_xy] for scene, _ in drawn],
    }


def record_episode(
    env: ReachEnv,
    expert: ScriptedExpert,
    scene: TaskScene,
    side: str,
    rate_hz: float,
    hold_steps: int = 3,
    name: str = 'episode',
) -> Episode:
    """Run the expert through one episode in `env`; RuntimeError if it fails (a bug)."""
    dt = 1.0 / rate_hz
    env.reset(scene=scene)
    plan = expert.reset(scene, rng=None, side=side)
    steps = episode_steps(plan.duration, dt, hold_steps)
    images, joints, actions, stamps = [], [], [], []
    for k in range(steps):
        t = k * dt
        action = expert.action(t, dt)
        images.append(env.camera_frame())
        joints.append(env.joint_positions)
        actions.append(action)
        stamps.append(t)  # from the step count, not summed substeps: exact spacing
        env.command(action)
        env.advance(dt)
    check_expert_outcome(env, scene, side, name)
    return Episode(
        images={CAMERA_NAME: np.stack(images)},
        states=np.stack(joints),
        actions=np.stack(actions),
        stamps=np.asarray(stamps),
        name=name,
    )


def generate_demos(
    n: int,
    output_dir,
    seed: int = 0,
    demos: DemoConfig = DemoConfig(),
    overwrite: bool = False,
    progress: bool = True,
    expert_settings: ExpertSettings = ExpertSettings(),
) -> EpisodeStore:
    """
    Write n expert demonstrations to `output_dir` (all or nothing) and return the store.

    meta.json's `source` holds the seed, the expert settings, and per episode its target
    and side, plus the side counts. The reach task in joint space is written here; the grasp
    task and end-effector actions by sim/ee_demos.py.
    """
    if demos.with_gripper:
        # Imported here: ee_demos builds on this module's helpers.
        from .ee_demos import generate_gripper_demos

        return generate_gripper_demos(
            n, output_dir, seed, demos, overwrite, progress, expert_settings
        )
    if n < 1:
        raise ValueError(f'n must be >= 1, got {n}')
    rate_hz, image_size, hold_steps = demos.rate_hz, demos.image_size, demos.hold_steps
    drawn = draw_episodes(n, seed)
    meta = DatasetMeta(
        rate_hz=rate_hz,
        cameras=(CameraMeta(CAMERA_NAME, image_size, image_size),),
        state_names=ReachEnv.joint_names,
        action_names=ReachEnv.joint_names,
        action_kind='joint_position',
        source=demo_provenance(drawn, seed, demos.physics_dt, hold_steps, expert_settings),
    )
    env = ReachEnv(physics_dt=demos.physics_dt, image_size=image_size)
    expert = ScriptedExpert(expert_settings)

    def episodes():
        from tqdm import tqdm

        for i, (scene, side) in enumerate(
            tqdm(drawn, desc='sim-demos', unit='episode', disable=not progress)
        ):
            yield record_episode(env, expert, scene, side, rate_hz, hold_steps, name=f'demo {i}')

    return write_dataset_atomically(Path(output_dir), meta, episodes(), overwrite=overwrite)
