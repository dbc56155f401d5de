# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The command line: options made from the configs, and refusals as one line.

Every option is a config field (settings.py); these tests pin that the options users
type keep working, that a value outside a setting's range is refused before anything
runs, and that a bad input ends with one line naming the problem, not a traceback.
"""

from __future__ import annotations

import subprocess
import sys

from imle_policy_ros.cli import build_parser, main
from imle_policy_ros.cli_settings import add_settings, config_from_args
from imle_policy_ros.evaluation.closed_loop import EvalConfig
from imle_policy_ros.learning.train_config import TrainConfig
import pytest


def parse(*argv):
    return build_parser().parse_args(list(argv))


def test_train_options_build_the_train_config():
    args = parse(
        'train',
        'data',
        '-o',
        'out',
        '--steps',
        '7',
        '-m',
        '4',
        '--down-dims',
        '8',
        '16',
        '--crop',
        '60',
        '60',
        '--no-progress',
        '--objective',
        'mse',
    )
    cfg = config_from_args(TrainConfig, args)
    assert cfg == TrainConfig(
        dataset='data',
        output_dir='out',
        steps=7,
        samples_per_example=4,
        down_dims=(8, 16),
        crop=(60, 60),
        progress=False,
        objective='mse',
    )


def test_eval_options_reach_the_nested_controller_config():
    args = parse(
        'eval',
        '--model',
        'm',
        '--num-samples',
        '8',
        '--no-temporal-consistency',
        '--consistency-reset-every',
        '3',
        '--control-rate',
        '25',
        '--latency-ms',
        '20',
        '--episodes',
        '5',
        '--threads',
        '1',
    )
    cfg = config_from_args(EvalConfig, args)
    assert cfg.episodes == 5 and cfg.run.control_rate_hz == 25 and cfg.run.latency_ms == 20
    controller = cfg.run.controller
    assert controller.num_samples == 8 and not controller.temporal_consistency
    assert controller.consistency_reset_every == 3
    assert args.inference_threads == 1


def test_defaults_come_from_the_config_fields():
    cfg = config_from_args(EvalConfig, parse('eval', '--model', 'm'))
    assert cfg == EvalConfig()


def test_repeated_options_collect_in_order():
    args = parse(
        'dataset',
        'b1',
        'b2',
        '-o',
        'out',
        '--image-topic',
        '/a/image',
        '--image-topic',
        '/b/image',
        '--action-from',
        'next_state',
    )
    assert args.image_topics == ['/a/image', '/b/image'] and args.bags == ['b1', 'b2']


@pytest.mark.parametrize(
    'argv, named',
    [
        (['train', 'data', '-o', 'out', '--steps', '0'], 'steps'),
        (['eval', '--model', 'm', '--num-samples', '0'], 'num_samples'),
        (
            ['train', 'data', '-o', 'out', '--pred-horizon', '4', '--action-horizon', '8'],
            'action_horizon',
        ),
    ],
)
def test_a_setting_out_of_range_is_one_line(argv, named, capsys):
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert named in err and len(err.splitlines()) == 1, err


def test_train_on_a_folder_that_is_not_a_dataset_is_one_line(tmp_path):
    """Once a FileNotFoundError traceback: now the folder, the problem and the fix."""
    result = subprocess.run(
        [
            sys.executable,
            '-m',
            'imle_policy_ros.cli',
            'train',
            str(tmp_path),
            '-o',
            str(tmp_path / 'out'),
            '--steps',
            '1',
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert 'Traceback' not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path) in lines[0], result.stderr


def test_eval_of_a_missing_bundle_is_one_line(tmp_path, capsys):
    assert main(['eval', '--model', str(tmp_path / 'nothing'), '--episodes', '1']) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and 'does not exist' in err, err


def test_a_required_option_and_a_positional_are_generated():
    import argparse

    from imle_policy_ros.learning.export_config import ExportConfig

    parser = argparse.ArgumentParser()
    add_settings(parser, ExportConfig)
    with pytest.raises(SystemExit):
        parser.parse_args(['ckpt.pt'])  # -o is required
    cfg = config_from_args(ExportConfig, parser.parse_args(['ckpt.pt', '-o', 'b']))
    assert (cfg.checkpoint, cfg.output, cfg.raw_weights) == ('ckpt.pt', 'b', False)
