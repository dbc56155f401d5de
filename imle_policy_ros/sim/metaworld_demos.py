# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World demonstrations from a scripted expert, written as an end-effector dataset.

What a recording on the real arm holds, at the env's 80 Hz: the camera frames, the
measured hand pose and gripper *before* acting, and the commands sent at that instant
(the target pose of the Cartesian controller, the gripper open / closed). The dataset is an
ee_pose one (METAWORLD_LAYOUT: position only, the hand cannot turn; a gripper measured by
its finger joint r_close, 0 open .. 0.04 m shut), with actions absolute as ee_pose datasets
store them; training makes them relative. Extras, ignored by training unless asked (a state
policy trains on `--state-only --state-extras object_state goal`): `joint_positions` [T, 9],
`object_state` [T, 14] and `goal` [T, 3], as the env reports them (sim/metaworld_env.py).

Scenes: attempt i of `--seed s` uses env seed s * 10000 + i (sim/scene_seeds.py), never an
evaluation seed; the two-way expert's side is drawn from a generator seeded with (s, i).
Only successful episodes are kept; meta.json lists every attempt and, for the two-way
expert, how many demos went each way.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .metaworld_env import (
    BASE_FRAME,
    EE_FRAME,
    HAND_ORIENTATION,
    MAX_STEPS,
    METAWORLD_RATE_HZ,
    MetaWorldEnv,
)
from .metaworld_experts import expert_for
from .scene_seeds import demo_scene_seed
from ..data.episode import extra_state_names
from ..data.episode_store import (
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    write_dataset_atomically,
)
from ..runtime.ee_layout import EePoseLayout, GripperSpec

METAWORLD_GRIPPER = GripperSpec(joint='r_close', open_position=0.0, closed_position=0.04)
METAWORLD_LAYOUT = EePoseLayout(
    BASE_FRAME,
    EE_FRAME,
    rotation='none',
    reference='absolute',
    fixed_orientation=HAND_ORIENTATION,
    gripper=METAWORLD_GRIPPER,
)
METAWORLD_EXTRAS = {'joint_positions': (9,), 'object_state': (14,), 'goal': (3,)}
# The extras as a state policy reads them by name (object_state_0 .. goal_2)
METAWORLD_EXTRA_NAMES = tuple(
    n for extra, shape in METAWORLD_EXTRAS.items() for n in extra_state_names(extra, shape)
)
# The state a state policy reads besides the hand and gripper: the objects and the goal, as
# the robot node lists them in /joint_states (its joint_positions_* repeat the joints).
TRACKED_NAMES = tuple(
    n
    for extra in ('object_state', 'goal')
    for n in extra_state_names(extra, METAWORLD_EXTRAS[extra])
)
# What a state policy sees from the hand: the first object's position and the goal's (the
# second object slot is zero-padded on most tasks; quaternions are no positions)
METAWORLD_HAND_RELATIVE = ('object_state_0', 'object_state_1', 'object_state_2')
METAWORLD_HAND_RELATIVE += ('goal_0', 'goal_1', 'goal_2')
DEFAULT_CAMERA = 'corner3'
GENERATOR_NAME = 'imle_policy_ros.sim.metaworld_demos'


def metaworld_extras(env: MetaWorldEnv) -> dict[str, np.ndarray]:
    """Return the env's extras now, METAWORLD_EXTRAS's names in its order."""
    return {
        'joint_positions': env.joint_positions,
        'object_state': env.object_state,
        'goal': env.goal,
    }


def metaworld_live_state(env: MetaWorldEnv) -> tuple[tuple[str, ...], np.ndarray]:
    """Return the joints and the extras by name, as /joint_states and a tracker give them."""
    values = np.concatenate([env.joint_positions, *metaworld_extras(env).values()])
    return env.joint_names + METAWORLD_EXTRA_NAMES, values


def measured_gripper(env: MetaWorldEnv) -> float:
    """Return the gripper 0 open .. 1 closed, from its finger joint (METAWORLD_GRIPPER)."""
    finger = env.joint_positions[env.joint_names.index(METAWORLD_GRIPPER.joint)]
    return float(METAWORLD_GRIPPER.normalize(finger)) + 0.0  # + 0.0: no -0.0 in the data


def expert_steps(env: MetaWorldEnv, expert, scene_seed: int, rng=None):
    """
    Run the expert on one scene, yielding each step's commands (target pose [7], gripper 0/1).

    Each is yielded once the expert has read the scene and before the env moves, so the
    caller records the state the commands answer, and the commands; then they are sent and
    the env steps. episode_info() says how it ended.
    """
    env.reset(scene_seed)
    expert.reset(rng)
    while not env.done:
        target, gripper = expert.act(env)
        yield target, gripper
        env.command_pose(target)
        env.command_gripper(gripper)
        env.step()


def episode_info(env: MetaWorldEnv, expert, scene_seed: int) -> dict:
    """Return what an expert episode did: its scene, steps, success (and push-wall's side)."""
    info = {'scene_seed': scene_seed, 'steps': env.steps, 'success': env.success}
    if expert.side is not None:
        info['side'] = expert.side
    return info


def record_metaworld_episode(
    env: MetaWorldEnv,
    expert,
    scene_seed: int,
    cameras: tuple[str, ...],
    image_size: int,
    name: str,
    rng: np.random.Generator | None = None,
) -> tuple[Episode | None, dict]:
    """Run the expert on one scene; return (the episode or None if it failed, what it did)."""
    rows: dict[str, list] = {'poses': [], 'grippers': [], 'targets': [], 'commands': []}
    images: dict[str, list] = {c: [] for c in cameras}
    extras: list[dict] = []
    for target, gripper in expert_steps(env, expert, scene_seed, rng):
        for camera in cameras:
            images[camera].append(env.image(camera, image_size))
        rows['poses'].append(env.ee_pose)
        rows['grippers'].append(measured_gripper(env))
        extras.append(metaworld_extras(env))
        rows['targets'].append(target)
        rows['commands'].append(gripper)
    info = episode_info(env, expert, scene_seed)
    if not env.success:
        return None, info
    steps = env.steps
    layout = METAWORLD_LAYOUT
    episode = Episode(
        images={c: np.stack(frames) for c, frames in images.items()},
        states=layout.state(np.stack(rows['poses']), np.asarray(rows['grippers'])).astype(
            np.float32
        ),
        actions=layout.encode(np.stack(rows['targets']), np.asarray(rows['commands'])).astype(
            np.float32
        ),
        stamps=np.arange(steps, dtype=np.float64) / METAWORLD_RATE_HZ,
        name=name,
        extras={k: np.stack([step[k] for step in extras]) for k in METAWORLD_EXTRAS},
    )
    return episode, info


def metaworld_dataset_meta(
    task: str, cameras: tuple[str, ...], image_size: int, source: dict
) -> DatasetMeta:
    layout = METAWORLD_LAYOUT
    return DatasetMeta(
        rate_hz=METAWORLD_RATE_HZ,
        cameras=tuple(CameraMeta(c, image_size, image_size) for c in cameras),
        state_names=layout.state_names,
        action_names=layout.action_names,
        action_kind='ee_pose',
        source=source,
        ee_layout=layout,
        extras=METAWORLD_EXTRAS,
    )


def generate_metaworld_demos(
    task: str,
    n: int,
    output_dir,
    seed: int = 0,
    cameras: tuple[str, ...] = (DEFAULT_CAMERA,),
    image_size: int = 96,
    two_way: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    max_attempts: int | None = None,
) -> EpisodeStore:
    """
    Write n successful expert demos of Meta-World `task` to `output_dir` (all or nothing).

    cameras: the views recorded, each image_size square (none: a state-only dataset);
    two_way: push-wall's two-way expert instead of the shipped one. max_attempts: scenes
    tried before giving up (default 3 n); RuntimeError if too few succeed.
    """
    env = MetaWorldEnv(task)
    expert = expert_for(env.task, two_way)
    attempts: list[dict] = []
    source = {'generator': GENERATOR_NAME, 'task': f'metaworld:{env.task}', 'seed': seed}

    def record(scene_seed: int, name: str, rng: np.random.Generator):
        return record_metaworld_episode(
            env, expert, scene_seed, tuple(cameras), image_size, name, rng
        )

    def episodes():
        try:
            for episode in solved_scenes(
                env.task, n, seed, record, attempts, progress, max_attempts
            ):
                meta.source.update(metaworld_provenance(source, expert.name, attempts))
                yield episode
        finally:
            env.close()

    meta = metaworld_dataset_meta(env.task, tuple(cameras), image_size, dict(source))
    return write_dataset_atomically(Path(output_dir), meta, episodes(), overwrite=overwrite)


def solved_scenes(
    task: str,
    n: int,
    seed: int,
    record,
    attempts: list[dict],
    progress: bool = True,
    max_attempts: int | None = None,
):
    """
    Yield what `record(scene_seed, name, rng)` returns for the first n solved demo scenes.

    `record` returns (a result, or None if the expert failed, and what it did); each attempt's
    info, with `kept`, is appended to `attempts`. Attempt i of `seed` runs scene
    demo_scene_seed(seed, i) with a generator seeded (seed, i). RuntimeError once
    max_attempts (default 3 n) scenes were tried.
    """
    from tqdm import tqdm

    if n < 1:
        raise ValueError(f'n must be >= 1, got {n}')
    allowed = 3 * n if max_attempts is None else int(max_attempts)
    kept = 0
    with tqdm(total=n, desc=f'sim-demos {task}', unit='demo', disable=not progress) as bar:
        while kept < n:
            index = len(attempts)
            if index >= allowed:
                raise RuntimeError(
                    f'the expert solved only {kept} of {index} {task} scenes; asked for {n} '
                    'demos (raise max_attempts, or ask for fewer)'
                )
            result, info = record(
                demo_scene_seed(seed, index), f'demo {kept}', np.random.default_rng([seed, index])
            )
            info['kept'] = result is not None
            attempts.append(info)
            if result is not None:
                kept += 1
                bar.update(1)
                yield result


def metaworld_provenance(source: dict, expert: str, attempts: list[dict]) -> dict:
    """Return the dataset's source: `source` (generator, task, seed) and these attempts."""
    kept = [a for a in attempts if a['kept']]
    provenance = {
        **{k: v for k, v in source.items() if k not in ('side_counts', 'attempts')},
        'expert': expert,
        'max_steps': MAX_STEPS,
        'attempts': attempts,
        'expert_success_rate': len(kept) / max(1, len(attempts)),
    }
    if any('side' in a for a in kept):
        provenance['side_counts'] = dict(sorted(Counter(a['side'] for a in kept).items()))
    return provenance


def metaworld_summary_line(store: EpisodeStore) -> str:
    source = store.meta.source
    lengths = np.asarray(store.episode_lengths)
    sides = ', '.join(f'{k} {v}' for k, v in source.get('side_counts', {}).items())
    return (
        f'{len(lengths)} {source["task"]} demos (expert solved '
        f'{source["expert_success_rate"]:.0%} of {len(source["attempts"])} scenes); steps min '
        f'{lengths.min()}, mean {lengths.mean():.1f}, max {lengths.max()}'
        + (f'; ways: {sides}' if sides else '')
    )
