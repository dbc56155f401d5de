# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Push-T through the package's commands: sim-demos --env pusht -> train -> export -> eval.

A tiny training cannot solve Push-T; what is checked is the plumbing a real run relies on:
the demos are the expert's successful episodes from training seeds, the bundle commands the
pusher, eval follows the paper's protocol (seeds from 100000, the coverage rules, 300
steps) and refuses a bundle trained for another robot.
"""

import importlib.util
import json

from imle_policy_ros.cli import main as cli
from imle_policy_ros.data.episode_store import EpisodeStore
from imle_policy_ros.sim.scene_seeds import demo_scene_seed, EVAL_FIRST_SEED
import numpy as np
import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec('gym_pusht') is None, reason='gym-pusht not installed'
    ),
]

TINY = ['--batch-size', '8', '-m', '4', '--encoder-width', '2', '--down-dims', '8', '16']
TINY += ['--warmup-steps', '2', '--threads', '1', '--no-progress', '--log-every', '10']


@pytest.fixture
def demos(pusht_demos):
    return pusht_demos


def test_demos_are_successful_expert_episodes_from_training_seeds(demos):
    store = EpisodeStore.open(demos)
    meta = store.meta
    assert meta.state_names == meta.action_names == ('pusher_x', 'pusher_y')
    assert meta.rate_hz == 10.0 and meta.cameras[0].height == 32
    kept = [a for a in meta.source['attempts'] if a['kept']]
    assert len(kept) == len(store) == 2
    assert all(a['max_coverage'] > 0.95 for a in kept)
    assert all(a['scene_seed'] < EVAL_FIRST_SEED for a in meta.source['attempts'])
    episode = store.episode(0)
    assert np.all((episode.actions >= 0) & (episode.actions <= 512))
    # Each action is the target the pusher moves toward over the next step (the env's PD law
    # lags, ~25 px): closer after the step than before it.
    before = np.linalg.norm(episode.states[:-1] - episode.actions[:-1], axis=1)
    after = np.linalg.norm(episode.states[1:] - episode.actions[:-1], axis=1)
    assert np.median(after) < 0.8 * np.median(before), (np.median(after), np.median(before))
    assert episode.extras['block_keypoints'].shape == (len(episode.actions), 16)


def test_demo_seeds_never_reach_the_evaluation_seeds():
    assert demo_scene_seed(9, 9999) < EVAL_FIRST_SEED
    with pytest.raises(ValueError, match='evaluation seeds'):
        demo_scene_seed(10, 0)


def test_a_bundle_trained_on_the_demos_runs_the_protocol(demos, tmp_path, capsys):
    run = ['train', str(demos), '-o', str(tmp_path / 'run'), '--steps', '20', *TINY]
    assert cli(run + ['--checkpoint-every', '20']) == 0
    bundle = tmp_path / 'bundle'
    assert (
        cli(['export', str(tmp_path / 'run' / 'checkpoints' / 'latest.pt'), '-o', str(bundle)])
        == 0
    )
    capsys.readouterr()
    argv = ['eval', '--env', 'pusht', '--model', str(bundle), '--episodes', '2', '--seed', '3']
    video, plot = tmp_path / 'ep.mp4', tmp_path / 'last.png'
    argv += ['--latency-ms', '20', '--json', '--video', str(video), '--plot', str(plot)]
    assert cli(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['env'] == 'pusht' and summary['episodes'] == 2
    assert summary['first_seed'] == EVAL_FIRST_SEED + 3
    assert 0.0 <= summary['mean_max_coverage'] <= 1.0
    assert summary['mean_max_reward'] >= summary['mean_max_coverage']  # reward = cov / 0.95
    assert summary['success_rate'] <= summary['paper_success_rate']
    # An untrained-in-effect policy does not solve the task in 300 steps.
    assert summary['mean_steps'] == 300
    assert video.stat().st_size > 0 and plot.stat().st_size > 0


def test_eval_refuses_a_bundle_for_another_robot(tmp_path, capsys):
    argv = ['eval', '--env', 'pusht', '--model', 'models/reach_default', '--episodes', '1']
    assert cli(argv) == 1
    assert 'not the Push-T pusher' in capsys.readouterr().err


def test_pusht_demos_have_no_bag_format(tmp_path, capsys):
    argv = ['sim-demos', '--env', 'pusht', '-n', '1', '-o', str(tmp_path / 'b')]
    assert cli(argv + ['--format', 'bag']) == 1
    assert 'no ROS topics' in capsys.readouterr().err
