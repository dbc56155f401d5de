# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World as a robot: scenes by seed, the Cartesian controller, the experts, the demos.

The wrapper must not change the task: the shipped expert driven through `command_pose`
(its action turned into a target) must take exactly the steps it takes on the raw env. The
two-way expert must really go round the end of the wall it drew, and the demos must be
successful episodes from training seeds, in the end-effector layout training reads.
"""

import importlib.util

from imle_policy_ros.errors import Refusal
from imle_policy_ros.sim.scene_seeds import EVAL_FIRST_SEED
import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec('metaworld') is None,
        reason='metaworld not installed (bash scripts/install_metaworld.sh)',
    ),
]


def _env(task, seed=None):
    from imle_policy_ros.sim.metaworld_env import MetaWorldEnv

    return MetaWorldEnv(task, seed)


def test_a_seed_gives_one_scene_and_another_seed_another():
    env = _env('push')
    scenes = []
    for seed in (7, 8, 7):
        env.reset(seed)
        scenes.append(np.concatenate([env.object_state[:3], env.goal]))
    env.close()
    assert np.array_equal(scenes[0], scenes[2])
    assert np.linalg.norm(scenes[0] - scenes[1]) > 1e-3


def test_unknown_task_is_refused_with_the_task_list():
    from imle_policy_ros.sim.metaworld_env import check_task, UnknownMetaWorldTask

    assert check_task('push') == 'push-v3'
    with pytest.raises(UnknownMetaWorldTask, match='not a Meta-World task.*push-v3'):
        check_task('push-the-button')
    assert issubclass(UnknownMetaWorldTask, Refusal)


@pytest.mark.parametrize('task', ['button-press-topdown-v3', 'push-v3'])
def test_the_shipped_expert_through_the_pose_controller_is_the_raw_expert(task):
    from imle_policy_ros.sim.metaworld_env import load_metaworld
    from imle_policy_ros.sim.metaworld_experts import ShippedExpert

    wrapped, raw = _env(task), _env(task)
    policy = load_metaworld().policies.ENV_POLICY_MAP[task]()
    expert = ShippedExpert(task)
    for seed in (0, 1):
        wrapped.reset(seed)
        while not wrapped.done:
            target, gripper = expert.act(wrapped)
            wrapped.command_pose(target)
            wrapped.command_gripper(gripper)
            wrapped.step()
        raw.reset(seed)  # the same scene; then Meta-World's own loop on the inner env
        obs, steps = raw.expert_obs, 0
        while steps < 500:
            action = policy.get_action(obs)
            action[3] = 1.0 if action[3] > 0 else -1.0  # the gripper command is binary
            obs, _, _, _, info = raw._env.step(np.clip(action, -1, 1))
            steps += 1
            if info['success']:
                break
        assert wrapped.success and info['success']
        assert wrapped.steps == steps, (task, seed, wrapped.steps, steps)
    wrapped.close()
    raw.close()


def test_the_pose_controller_caps_speed_and_stays_in_the_workspace():
    env = _env('reach', seed=0)
    far = env.ee_pose
    far[:3] = env.workspace[1] + 1.0  # beyond every bound
    start = env.hand_position
    env.command_pose(far)
    env.step()
    moved = np.abs(env.hand_position - start)
    assert np.all(moved <= 0.0125), moved  # 1 cm per axis per step, plus the mocap's lag
    for _ in range(200):
        env.command_pose(far)
        env.step()
    assert np.all(env.hand_position <= env.workspace[1] + 0.01)
    env.close()


def test_a_twist_moves_the_hand_and_stops_when_it_is_not_renewed():
    env = _env('reach', seed=0)
    start = env.hand_position
    env.command_twist([0.2, 0.0, 0.0])  # m/s along +x
    for _ in range(20):  # 0.25 s: the twist times out after 0.1 s
        env.step()
    moved = env.hand_position - start
    assert 0.01 < moved[0] < 0.03, moved  # 0.2 m/s for 0.1 s = 2 cm
    assert np.all(np.abs(moved[1:]) < 0.005)
    env.close()


@pytest.mark.parametrize('side', ['left', 'right'])
def test_the_two_way_expert_goes_round_the_end_it_drew(side):
    from imle_policy_ros.sim.metaworld_experts import TwoWayPushWallExpert, way_round_wall

    env, expert = _env('push-wall'), TwoWayPushWallExpert(side)
    for seed in (0, 1, 2):
        env.reset(seed)
        expert.reset()
        way = None
        while not env.done:
            target, gripper = expert.act(env)
            env.command_pose(target)
            env.command_gripper(gripper)
            env.step()
            way = way or way_round_wall(env)
        assert env.success, (side, seed, env.steps)
        assert way == side
    env.close()


def test_demos_are_successful_episodes_in_the_end_effector_layout(tmp_path):
    from imle_policy_ros.sim.metaworld_demos import generate_metaworld_demos, METAWORLD_LAYOUT

    store = generate_metaworld_demos(
        'push-wall', 4, tmp_path / 'demos', seed=2, cameras=('corner3',), image_size=32,
        two_way=True, progress=False,
    )  # fmt: skip
    meta = store.meta
    assert meta.action_kind == 'ee_pose' and meta.ee_layout == METAWORLD_LAYOUT
    assert meta.source['task'] == 'metaworld:push-wall-v3'
    assert all(a['scene_seed'] < EVAL_FIRST_SEED for a in meta.source['attempts'])
    assert sum(meta.source['side_counts'].values()) == len(store) == 4
    episode = store.episode(0)
    steps = len(episode.actions)
    assert episode.images['corner3'].shape == (steps, 32, 32, 3)
    assert {k: v.shape for k, v in episode.extras.items()} == {
        'joint_positions': (steps, 9),
        'object_state': (steps, 14),
        'goal': (steps, 3),
    }
    # state = hand x y z, gripper 0..1; action = target x y z, gripper command 0 / 1
    assert episode.states.shape == episode.actions.shape == (steps, 4)
    assert set(np.unique(episode.actions[:, 3])) <= {0.0, 1.0}
    assert 0.0 <= episode.states[:, 3].min() and episode.states[:, 3].max() <= 1.0
    # the gripper closes during the episode and the hand follows its targets
    assert episode.actions[0, 3] == 0.0 and episode.actions[-1, 3] == 1.0
    lag = np.linalg.norm(episode.states[1:, :3] - episode.actions[:-1, :3], axis=1)
    assert np.median(lag) < 0.005, np.median(lag)


def test_sim_demos_refuses_unknown_envs(tmp_path, capsys):
    from imle_policy_ros.cli import main as cli

    assert cli(['sim-demos', '--env', 'mujoco', '-n', '1', '-o', str(tmp_path / 'e')]) != 0
    assert 'metaworld:TASK' in capsys.readouterr().err
