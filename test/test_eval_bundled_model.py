# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The bundled default model solves the simulator task closed-loop.

It runs through the ONNX bundle and the same PolicyController the ROS node uses.
"""

import importlib.util
import json
from pathlib import Path

import cv2
from imle_policy_ros.cli import main as cli
import pytest

MODEL = Path(__file__).resolve().parents[1] / 'models' / 'reach_default'


def test_bundled_model_reaches_the_target_in_closed_loop(tmp_path, capsys):
    plot = tmp_path / 'paths.png'
    assert (
        cli(
            [
                'eval',
                '--model',
                str(MODEL),
                '--episodes',
                '10',
                '--json',
                '--plot',
                str(plot),
                '--latency-ms',
                '40',
            ]
        )
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary['success_rate'] >= 0.8, summary
    assert summary['episodes'] == 10
    assert set(summary['mode_share']) == {'left', 'right'}
    # multimodal: from the first observation, most scenes offer both ways round the obstacle
    assert summary['scenes_offering_both_sides'] >= 0.5, summary
    image = cv2.imread(str(plot))
    assert image is not None and image.shape[0] >= 256


def test_eval_refuses_a_missing_model_with_a_clear_message(tmp_path, capsys):
    assert cli(['eval', '--model', str(tmp_path / 'nope'), '--episodes', '1']) == 1
    err = capsys.readouterr().err.strip()
    assert str(tmp_path / 'nope') in err and 'does not exist' in err and '\n' not in err


EE_MODEL = MODEL.parent / 'reach_grasp_ee'


def test_bundled_end_effector_model_reaches_and_grasps_in_closed_loop(capsys):
    """The ee_pose model commands the tool pose and the gripper; it must grasp on the target."""
    assert (
        cli(['eval', '--model', str(EE_MODEL), '--episodes', '10', '--json', '--latency-ms', '40'])
        == 0
    )
    summary = json.loads(capsys.readouterr().out)
    assert summary['success_rate'] >= 0.7, summary
    # one close per episode at most: no chatter when the samples sit near the threshold
    assert summary['gripper_changes_per_episode'] <= 1.0, summary
    assert summary['scenes_offering_both_sides'] >= 0.5, summary


PUSHT_MODEL = MODEL.parent / 'pusht_state'


@pytest.mark.skipif(importlib.util.find_spec('gym_pusht') is None, reason='needs gym-pusht')
def test_bundled_pusht_state_model_pushes_the_block_toward_the_goal(capsys):
    """The Push-T state policy under the paper's protocol, on its first 10 scenes."""
    argv = ['eval', '--model', str(PUSHT_MODEL), '--env', 'pusht', '--episodes', '10']
    assert cli(argv + ['--latency-ms', '20', '--json']) == 0  # fixed latency: repeatable
    summary = json.loads(capsys.readouterr().out)
    assert summary['first_seed'] == 100_000 and summary['episodes'] == 10
    # Measured 0.76 on these scenes (EVAL.md, Push-T); the MSE regressor trained on the same
    # demos and schedule reaches 0.64 over 50 episodes, the 2000-step IMLE policy 0.51 here.
    # The margin is for another CPU's rounding, which can send episodes elsewhere.
    assert summary['mean_max_coverage'] >= 0.6, summary


METAWORLD_MODEL = MODEL.parent / 'metaworld_button_press'


@pytest.mark.skipif(importlib.util.find_spec('metaworld') is None, reason='needs metaworld')
def test_bundled_metaworld_model_presses_the_button_on_held_out_scenes(capsys):
    """The Meta-World state policy on its task's first 10 evaluation scenes."""
    argv = ['eval', '--model', str(METAWORLD_MODEL), '--env', 'metaworld:button-press-topdown']
    assert cli(argv + ['--episodes', '10', '--latency-ms', '10', '--json']) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['first_seed'] == 100_000 and summary['episodes'] == 10
    # 50/50 over seeds 100000-100049 (EVAL.md, Meta-World); one miss is left for another
    # CPU's rounding.
    assert summary['success_rate'] >= 0.9, summary


TWO_WAY_MODEL = MODEL.parent / 'metaworld_push_wall_two_way'


@pytest.mark.long
@pytest.mark.skipif(importlib.util.find_spec('metaworld') is None, reason='needs metaworld')
def test_bundled_two_way_model_goes_round_both_ends_of_the_wall(capsys):
    """The hand-relative push-wall policy on the first 10 evaluation scenes (about 1 min)."""
    argv = ['eval', '--model', str(TWO_WAY_MODEL), '--env', 'metaworld:push-wall']
    assert cli(argv + ['--episodes', '10', '--latency-ms', '10', '--json']) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary['env'] == 'metaworld:push-wall-v3' and summary['episodes'] == 10
    # Measured 9/10 here, left 5 / right 4 (90% over 100 scenes at this latency, the ways
    # 48 / 52); the margin is for another CPU's rounding.
    assert summary['success_rate'] >= 0.7, summary
    assert min(summary['mode_share'].values()) > 0.0, summary  # both ends of the wall
    assert set(summary['mode_share']) == {'left', 'right'}, summary
