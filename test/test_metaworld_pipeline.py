# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World through the package's commands: sim-demos -> train -> export -> eval.

button-press-topdown with 10 demos is the easy end of the published table (image Diffusion
Policy 98%): a small state policy trained for a minute must press the button on held-out
scenes, through the same controller and ONNX bundle as the node. eval refuses a bundle that
commands another robot.
"""

import importlib.util
import json
from pathlib import Path

from imle_policy_ros.cli import main as cli
from imle_policy_ros.sim.scene_seeds import EVAL_FIRST_SEED
import pytest

REACH_MODEL = Path(__file__).resolve().parents[1] / 'models' / 'reach_default'
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec('metaworld') is None,
        reason='metaworld not installed (bash scripts/install_metaworld.sh)',
    ),
]

SMALL = ['--state-only', '--state-extras', 'object_state', 'goal', '--batch-size', '32']
SMALL += ['-m', '16', '--down-dims', '32', '64', '128', '--warmup-steps', '100', '--lr', '1e-3']
SMALL += ['--ema-decay', '0.99', '--threads', '2', '--no-progress', '--log-every', '200']


@pytest.mark.long
def test_a_state_policy_from_ten_demos_presses_the_button_on_held_out_scenes(tmp_path, capsys):
    env = 'metaworld:button-press-topdown'
    demos, run, bundle = tmp_path / 'demos', tmp_path / 'run', tmp_path / 'bundle'
    argv = ['sim-demos', '--env', env, '-n', '10', '--state-only', '-o', str(demos)]
    assert cli(argv + ['--no-progress']) == 0
    assert cli(['train', str(demos), '-o', str(run), '--steps', '600', *SMALL]) == 0
    assert cli(['export', str(run / 'checkpoints' / 'latest.pt'), '-o', str(bundle)]) == 0
    capsys.readouterr()
    argv = ['eval', '--env', env, '--model', str(bundle), '--episodes', '10', '--seed', '5']
    assert cli(argv + ['--json', '--no-progress']) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['env'] == 'metaworld:button-press-topdown-v3'
    assert summary['episodes'] == 10 and summary['first_seed'] == EVAL_FIRST_SEED + 5
    assert summary['success_rate'] >= 0.8, summary
    assert summary['mean_steps'] < 200, summary  # the expert takes about 100
    assert summary['inference_ms_p50'] > 0.0


def test_eval_refuses_a_bundle_for_another_robot(capsys):
    argv = ['eval', '--env', 'metaworld:push', '--model', str(REACH_MODEL)]
    assert cli(argv + ['--episodes', '1']) != 0
    assert 'not the Meta-World hand' in capsys.readouterr().err
