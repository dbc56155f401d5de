# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
State policies: no cameras, the low-dim state alone (with dataset extras appended).

Push-T's state variant (block keypoints + pusher) is the case that needs it; these tests
use a task where the right action is read from an extra (state_task.py), so a policy that
ignored its extras could not pass: the extras reach training, the bundle has no encoder,
and the controller's history takes its observation from the low-dim inputs alone.
"""

import importlib.util
import json

from imle_policy_ros.cli import main as cli
from imle_policy_ros.control.observation_history import ObservationHistory
from imle_policy_ros.learning.windows import ChunkWindows
from imle_policy_ros.runtime import load_bundle, OnnxPolicy
from imle_policy_ros.runtime.policy_spec import BundleError, PolicySpec
import numpy as np
import pytest
from state_task import STATE_NAMES


@pytest.fixture
def dataset(goal_task):
    return goal_task[0]


@pytest.fixture
def bundle_dir(goal_task):
    return goal_task[1]


def test_windows_append_the_extras_to_the_state_and_drop_the_cameras(dataset):
    windows = ChunkWindows(dataset, 2, 8, 4, cameras=(), state_extras=('goal',))
    assert windows.camera_names == ()
    assert windows.state_names == STATE_NAMES
    item = windows[0]
    assert item['images'] == {} and tuple(item['state'].shape) == (2, 4)
    with pytest.raises(ValueError, match="no extra 'velocity'"):
        ChunkWindows(dataset, 2, 8, 4, state_extras=('velocity',))
    with pytest.raises(ValueError, match=r"cameras \['wrist'\] are not in the dataset"):
        ChunkWindows(dataset, 2, 8, 4, cameras=('wrist',))


def test_a_state_bundle_has_no_encoder_and_acts_on_its_extras(bundle_dir):
    assert sorted(p.name for p in bundle_dir.iterdir()) == ['generator.onnx', 'policy.json']
    bundle = load_bundle(bundle_dir)
    assert bundle.encoder is None and bundle.spec.cameras == ()
    assert bundle.spec.state_names == STATE_NAMES
    policy = OnnxPolicy(bundle, seed=0)
    with pytest.raises(ValueError, match='no cameras'):
        policy.encode(0, np.zeros((8, 8, 3), np.uint8))
    # The same arm state at rest, two goals: the chunk must head for each one's goal (the
    # demos cover 5% of the way per step, so 8 steps go about 40% of it).
    for goal in ((0.7, -0.6), (-0.6, 0.7)):
        state = np.array([[0.0, 0.0, *goal]] * 2)
        moved = policy.act(np.zeros((2, 0, 0)), state, 1).actions[-1]
        cosine = moved @ goal / (np.linalg.norm(moved) * np.linalg.norm(goal))
        assert cosine > 0.9 and 0.2 < np.linalg.norm(moved) / np.linalg.norm(goal) < 0.7


def test_the_history_of_a_state_policy_is_timed_by_its_joint_states():
    history = ObservationHistory([], ('x', 'y'), 2, 0.1, encode=None)
    assert history.observation() is None and not history.covers_window()
    history.add_joint_state(0.00, ('x', 'y'), (0.0, 1.0))
    history.add_joint_state(0.05, ('x', 'y'), (0.5, 1.0))
    assert not history.covers_window()  # nothing yet at t_obs - dt = -0.05
    history.add_joint_state(0.12, ('x', 'y'), (1.0, 1.0))
    observation = history.observation()
    assert observation.t_obs == pytest.approx(0.12)
    assert observation.features.size == 0
    np.testing.assert_allclose(observation.joint_positions[:, 0], [0.0, 1.0])  # at 0.02, 0.12
    assert history.covers_window()


def test_a_bundle_with_neither_cameras_nor_state_is_refused(bundle_dir):
    spec = json.loads((bundle_dir / 'policy.json').read_text())
    spec['state']['names'] = []
    spec['normalization']['state'] = {'min': [], 'max': []}
    with pytest.raises(BundleError, match='no cameras and no state'):
        PolicySpec.from_dict(spec)


def test_quantize_and_replay_refuse_a_state_bundle(bundle_dir, dataset, tmp_path, capsys):
    assert cli(['quantize', str(bundle_dir), '-o', str(tmp_path / 'q')]) == 1
    assert 'no cameras (a state policy)' in capsys.readouterr().err
    argv = ['replay', str(dataset.root), '--model', str(bundle_dir), '-o', str(tmp_path / 'r.png')]
    assert cli(argv) == 1
    assert 'is a state policy (no cameras)' in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec('gym_pusht') is None, reason='needs gym-pusht')
def test_pusht_eval_feeds_the_keypoints_to_a_state_policy(pusht_demos, tmp_path, capsys):
    demos, run = pusht_demos, tmp_path / 'run'
    argv = ['train', str(demos), '-o', str(run), '--state-only', '--state-extras']
    argv += ['block_keypoints', '--steps', '5', '--batch-size', '8', '-m', '4']
    argv += ['--down-dims', '8', '16', '--threads', '1', '--no-progress']
    assert cli(argv) == 0
    assert cli(['export', str(run / 'checkpoints' / 'latest.pt'), '-o', str(run / 'b')]) == 0
    capsys.readouterr()
    assert (
        cli(['eval', '--model', str(run / 'b'), '--env', 'pusht', '--episodes', '1', '--json'])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    # A policy fed nothing would hold the pusher: no chunk, no latency figure.
    assert summary['episodes'] == 1 and summary['inference_ms_p50'] > 0
