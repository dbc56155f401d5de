# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Push-T demonstrations from the planning expert, written as a training dataset.

What a recording of the real task holds, at the env's 10 Hz: the camera frame and the
pusher position *before* acting, and the target sent at that instant. The pusher is a
2-joint Cartesian robot here: its "joints" are pusher_x and pusher_y (px, 0..512, the env's
frame), so the bundle is a joint_position one and runs through the same controller, eval
and node as the arm's. The block's pose and keypoints are stored as extras: training ignores
them unless asked (the state variant trains on the keypoints).

Scenes come from env seeds below EVAL_FIRST_SEED (the paper evaluates from 100000 up), so
demonstrations and evaluation never share a scene. Episode i uses scene seed
(seed * DEMO_SEED_STRIDE + i) and an expert generator seeded with (seed, i): any episode is
reproducible on its own. Only successful episodes are kept (coverage > 0.95 within 300
steps); a failed scene is skipped and the next seed tried, and meta.json says how many.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .pusht_env import ARENA, MAX_STEPS, PushTEnv
from .pusht_expert import PushTExpert
from .scene_seeds import demo_scene_seed
from ..data.episode import extra_state_names
from ..data.episode_store import (
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    write_dataset_atomically,
)

PUSHT_RATE_HZ = 10.0  # one env step is 0.1 s
PUSHER_JOINTS = ('pusher_x', 'pusher_y')
PUSHT_CAMERA = 'top'
GENERATOR_NAME = 'imle_policy_ros.sim.pusht_expert'
# Per-step extras of a demo (name -> shape of a step), each read from the PushTEnv property
# of that name (pusht_extras); the state variant trains on the keypoints (`train
# --state-only --state-extras block_keypoints`), and evaluation feeds them live by name.
PUSHT_EXTRAS = {'block_pose': (3,), 'block_keypoints': (16,)}


def pusht_extras(env: PushTEnv) -> dict[str, np.ndarray]:
    """Return the env's extras now, PUSHT_EXTRAS's names in its order."""
    return {name: getattr(env, name) for name in PUSHT_EXTRAS}


# What the env can tell a policy at run time: the pusher joints, then every extra's values.
PUSHT_LIVE_STATE_NAMES = PUSHER_JOINTS + tuple(
    n for extra, shape in PUSHT_EXTRAS.items() for n in extra_state_names(extra, shape)
)


def pusht_live_state(env: PushTEnv) -> tuple[tuple[str, ...], np.ndarray]:
    """Return the env's low-dim state now, named (PUSHT_LIVE_STATE_NAMES)."""
    values = np.concatenate([env.agent_position, *pusht_extras(env).values()])
    return PUSHT_LIVE_STATE_NAMES, values


def record_pusht_episode(
    env: PushTEnv, expert: PushTExpert, scene_seed: int, image_size: int, name: str
) -> tuple[Episode | None, dict]:
    """Run the expert on one scene; return (the episode or None if it failed, what it did)."""
    env.reset(scene_seed)
    expert.reset()
    images, states, actions, extras = [], [], [], []
    while not env.done:
        images.append(env.image(image_size))
        states.append(env.agent_position)
        extras.append(pusht_extras(env))
        actions.append(expert.act(env))
        env.step(actions[-1])
    info = {
        'scene_seed': scene_seed,
        'steps': env.steps,
        'max_coverage': round(env.max_coverage, 4),
        'first_push': expert.pushes[0].edge_name if expert.pushes else None,
        'pushes': len(expert.pushes),
    }
    if not env.success:
        return None, info
    steps = len(actions)
    episode = Episode(
        images={PUSHT_CAMERA: np.stack(images)},
        states=np.stack(states).astype(np.float32),
        actions=np.clip(np.stack(actions), 0.0, ARENA).astype(np.float32),
        stamps=np.arange(steps, dtype=np.float64) / PUSHT_RATE_HZ,
        name=name,
        extras={name: np.stack([step[name] for step in extras]) for name in PUSHT_EXTRAS},
    )
    return episode, info


def generate_pusht_demos(
    n: int,
    output_dir,
    seed: int = 0,
    image_size: int = 96,
    overwrite: bool = False,
    progress: bool = True,
    max_attempts: int | None = None,
) -> EpisodeStore:
    """
    Write n successful expert demonstrations of Push-T to `output_dir` (all or nothing).

    max_attempts: scenes tried before giving up (default 3 n); RuntimeError if too few
    succeed. meta.json's `source` lists every attempt (scene seed, steps, max coverage, the
    expert's first push) and the share of each first push among the kept demos.
    """
    if n < 1:
        raise ValueError(f'n must be >= 1, got {n}')
    attempts_allowed = 3 * n if max_attempts is None else int(max_attempts)
    env = PushTEnv()
    attempts: list[dict] = []

    def episodes():
        from tqdm import tqdm

        kept = 0
        bar = tqdm(total=n, desc='sim-demos pusht', unit='episode', disable=not progress)
        while kept < n:
            index = len(attempts)
            if index >= attempts_allowed:
                raise RuntimeError(
                    f'the expert solved only {kept} of {index} Push-T scenes; asked for {n} '
                    'demos (raise max_attempts, or ask for fewer)'
                )
            expert = PushTExpert(np.random.default_rng([seed, index]))
            scene = demo_scene_seed(seed, index)
            episode, info = record_pusht_episode(env, expert, scene, image_size, f'demo {kept}')
            info['kept'] = episode is not None
            attempts.append(info)
            if episode is not None:
                kept += 1
                bar.update(1)
                # meta.json is rewritten with each episode: it then lists every attempt so far
                meta.source.update(pusht_provenance(seed, attempts))
                yield episode
        bar.close()

    meta = DatasetMeta(
        rate_hz=PUSHT_RATE_HZ,
        cameras=(CameraMeta(PUSHT_CAMERA, image_size, image_size),),
        state_names=PUSHER_JOINTS,
        action_names=PUSHER_JOINTS,
        action_kind='joint_position',
        source={'generator': GENERATOR_NAME, 'task': 'pusht', 'seed': seed},
        extras=PUSHT_EXTRAS,
    )
    return write_dataset_atomically(Path(output_dir), meta, episodes(), overwrite=overwrite)


def pusht_provenance(seed: int, attempts: list[dict]) -> dict:
    kept = [a for a in attempts if a['kept']]
    first = Counter(a['first_push'] for a in kept)
    return {
        'generator': GENERATOR_NAME,
        'task': 'pusht',
        'seed': seed,
        'max_steps': MAX_STEPS,
        'attempts': attempts,
        'expert_success_rate': len(kept) / max(1, len(attempts)),
        # how the kept demos begin: several first pushes = several ways into the task
        'first_push_counts': dict(sorted(first.items())),
    }


def pusht_summary_line(store: EpisodeStore) -> str:
    source = store.meta.source
    lengths = np.asarray(store.episode_lengths)
    first = ', '.join(f'{k} {v}' for k, v in source.get('first_push_counts', {}).items())
    return (
        f'{len(lengths)} Push-T demos (expert solved {source["expert_success_rate"]:.0%} of '
        f'{len(source["attempts"])} scenes); steps min {lengths.min()}, mean '
        f'{lengths.mean():.1f}, max {lengths.max()}; first pushes: {first}'
    )
