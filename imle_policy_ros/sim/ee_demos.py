# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Demonstrations with the gripper: end-effector datasets, and the grasp task's joint datasets.

sim/demos.py writes the reach task in joint space; this writes every other combination of
`DemoConfig.task` and `action_space`, step by step as a real recording would have it (the
observation before acting, the command sent at that instant):

- `ee_pose`: the expert drives the arm through `command_pose` (its tool one step ahead, in
  base_link) and `command_gripper`. States are `EE_LAYOUT.state(measured tool pose, measured
  gripper 0..1)`, actions `EE_LAYOUT.encode(target pose, commanded gripper 0 open / 1 closed)`,
  absolute, as ee_pose datasets store them. The layout learns no rotation: the arm has no
  wrist (sim/cartesian_arm.py), so every pose carries the identity. Extras, beside the
  episode and ignored by training: `joint_positions` [T, 2] and `target_xy` [T, 2].
- `joint_position` with `reach_and_grasp`: joint commands as in sim/demos.py, the gripper
  finger (m) as a third joint of states and actions; extra `target_xy` [T, 2].

In the reach task the gripper stays open. An episode runs until the expert is finished (in
the grasp task: closed on the target), then holds `hold_steps` steps, as in sim/demos.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .camera import CAMERA_NAME
from .demo_config import DemoConfig
from .demos import check_expert_outcome, demo_provenance, draw_episodes
from .expert import ExpertSettings, ScriptedExpert
from .grasp_task import expert_for
from .gripper import GRIPPER_SPEC
from .reach_env import ReachEnv
from .reach_task import TaskScene
from .sim_topics import BASE_FRAME, EE_FRAME
from ..data.episode_store import (
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    write_dataset_atomically,
)
from ..runtime.ee_layout import EePoseLayout

EE_LAYOUT = EePoseLayout(
    BASE_FRAME, EE_FRAME, rotation='none', reference='absolute', gripper=GRIPPER_SPEC
)
EE_EXTRAS = {'joint_positions': (2,), 'target_xy': (2,)}
JOINT_EXTRAS = {'target_xy': (2,)}


def run_gripper_episode(
    env: ReachEnv,
    expert: ScriptedExpert,
    scene: TaskScene,
    side: str,
    rate_hz: float,
    hold_steps: int = 3,
    action_space: str = 'ee_pose',
    name: str = 'episode',
) -> dict[str, np.ndarray]:
    """
    Run the expert through one episode; return its per-step arrays (RuntimeError if it fails).

    Observed before acting: `images`, `joints` [T, 2], `ee_poses` [T, 7], `fingers` [T] (m).
    Sent at that instant: `joint_commands` [T, 2], `pose_commands` [T, 7], `finger_commands`
    [T] (m). `ee_pose` drives the arm by the pose commands, `joint_position` by the joint ones.
    """
    dt = 1.0 / rate_hz
    env.reset(scene=scene)
    expert.reset(scene, rng=None, side=side)
    steps = expert.command_steps(dt) + hold_steps
    rows: dict[str, list] = {}
    for k in range(steps):
        t = k * dt
        step = {
            'images': env.camera_frame(),
            'joints': env.joint_positions,
            'ee_poses': env.ee_pose,
            'fingers': env.gripper_position,
            'joint_commands': expert.action(t, dt),
            'pose_commands': expert.pose_action(t, dt),
            'finger_commands': expert.gripper_action(t, dt),
        }
        for key, value in step.items():
            rows.setdefault(key, []).append(value)
        if action_space == 'ee_pose':
            env.command_pose(step['pose_commands'], BASE_FRAME)
        else:
            env.command(step['joint_commands'])
        env.command_gripper(step['finger_commands'])
        env.advance(dt)
    check_expert_outcome(env, scene, side, name)
    arrays = {key: np.asarray(values) for key, values in rows.items()}
    arrays['stamps'] = np.arange(steps) * dt  # from the step count: exact spacing
    return arrays


def _normalized(fingers: np.ndarray) -> np.ndarray:
    # + 0.0 turns the -0.0 that open (0.04 - 0.04) / -0.04 gives into a plain 0.
    return GRIPPER_SPEC.normalize(fingers) + 0.0


def gripper_episode(
    arrays: dict[str, np.ndarray], scene: TaskScene, action_space: str, name: str
) -> Episode:
    """Return the Episode of one run's arrays in the layout of `action_space` (module doc)."""
    length = len(arrays['stamps'])
    target_xy = np.tile(np.asarray(scene.target_xy, dtype=np.float64), (length, 1))
    if action_space == 'ee_pose':
        states = EE_LAYOUT.state(arrays['ee_poses'], _normalized(arrays['fingers']))
        actions = EE_LAYOUT.encode(arrays['pose_commands'], _normalized(arrays['finger_commands']))
        extras = {'joint_positions': arrays['joints'], 'target_xy': target_xy}
    else:
        states = np.column_stack([arrays['joints'], arrays['fingers']])
        actions = np.column_stack([arrays['joint_commands'], arrays['finger_commands']])
        extras = {'target_xy': target_xy}
    return Episode(
        images={CAMERA_NAME: arrays['images']},
        states=states,
        actions=actions,
        stamps=arrays['stamps'],
        name=name,
        extras=extras,
    )


def gripper_dataset_meta(demos: DemoConfig, source: dict) -> DatasetMeta:
    """Return the meta of a dataset of `demos.action_space` with the gripper (module doc)."""
    ee = demos.action_space == 'ee_pose'
    joints = ReachEnv.all_joint_names
    return DatasetMeta(
        rate_hz=demos.rate_hz,
        cameras=(CameraMeta(CAMERA_NAME, demos.image_size, demos.image_size),),
        state_names=EE_LAYOUT.state_names if ee else joints,
        action_names=EE_LAYOUT.action_names if ee else joints,
        action_kind=demos.action_space,
        source=source,
        ee_layout=EE_LAYOUT if ee else None,
        extras=EE_EXTRAS if ee else JOINT_EXTRAS,
    )


def gripper_provenance(
    drawn: list[tuple[TaskScene, str]], seed: int, demos: DemoConfig, settings: ExpertSettings
) -> dict:
    """demo_provenance, naming the task and action space these demos are of."""
    return {
        **demo_provenance(drawn, seed, demos.physics_dt, demos.hold_steps, settings),
        'task': demos.task,
        'action_space': demos.action_space,
    }


def generate_gripper_demos(
    n: int,
    output_dir,
    seed: int = 0,
    demos: DemoConfig = DemoConfig(task='reach_and_grasp', action_space='ee_pose'),
    overwrite: bool = False,
    progress: bool = True,
    expert_settings: ExpertSettings = ExpertSettings(),
) -> EpisodeStore:
    """
    Write n expert demonstrations of `demos.task` in `demos.action_space`, all or nothing.

    Episode i depends only on (seed, i), with the same scenes and sides as sim/demos.py.
    """
    if n < 1:
        raise ValueError(f'n must be >= 1, got {n}')
    drawn = draw_episodes(n, seed)
    meta = gripper_dataset_meta(demos, gripper_provenance(drawn, seed, demos, expert_settings))
    env = ReachEnv(physics_dt=demos.physics_dt, image_size=demos.image_size, task=demos.task)
    expert = expert_for(demos.task, expert_settings)

    def episodes():
        from tqdm import tqdm

        for i, (scene, side) in enumerate(
            tqdm(drawn, desc='sim-demos', unit='episode', disable=not progress)
        ):
            name = f'demo {i}'
            arrays = run_gripper_episode(
                env, expert, scene, side, demos.rate_hz, demos.hold_steps, demos.action_space, name
            )
            yield gripper_episode(arrays, scene, demos.action_space, name)

    return write_dataset_atomically(Path(output_dir), meta, episodes(), overwrite=overwrite)
