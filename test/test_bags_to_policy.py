# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The documented flow, end to end on the simulator.

Expert demonstrations recorded as rosbag2 bags -> `dataset` -> a short `train` -> `export`
-> closed-loop `eval`. The trained policy must succeed far more often than the same
networks untrained (a random policy). Marked long (3 minutes of training on 2 cores): the
default suite stays under ten minutes, and CI runs them with the other long tests.
"""

import json

from imle_policy_ros.cli import main as cli
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.long]

TOPICS = [
    '--image-topic',
    '/camera/top/image_raw',
    '--joint-state-topic',
    '/joint_states',
    '--action-topic',
    '/joint_trajectory_controller/joint_trajectory',
]
SMALL_NETWORK = [
    '--batch-size',
    '32',
    '-m',
    '8',
    '--epsilon',
    '0.01',
    '--encoder-width',
    '4',
    '--down-dims',
    '16',
    '32',
    '64',
    '--warmup-steps',
    '50',
    '--lr',
    '1e-3',
    '--ema-decay',
    '0.99',
    '--threads',
    '1',
    '--no-progress',
    '--log-every',
    '100',
]


def train_export_eval(tmp_path, capsys, dataset, name: str, steps: int) -> dict:
    assert (
        cli(
            [
                'train',
                str(dataset),
                '-o',
                str(tmp_path / name),
                '--steps',
                str(steps),
                '--checkpoint-every',
                str(steps),
                *SMALL_NETWORK,
            ]
        )
        == 0
    )
    bundle = tmp_path / f'{name}_bundle'
    assert (
        cli(['export', str(tmp_path / name / 'checkpoints' / 'latest.pt'), '-o', str(bundle)]) == 0
    )
    capsys.readouterr()
    assert (
        cli(['eval', '--model', str(bundle), '--episodes', '10', '--latency-ms', '20', '--json'])
        == 0
    )
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope='module')
def dataset_from_bags(tmp_path_factory):
    work = tmp_path_factory.mktemp('bags_to_policy')
    assert (
        cli(
            [
                'sim-demos',
                '-n',
                '40',
                '-o',
                str(work / 'bags'),
                '--format',
                'bag',
                '--image-size',
                '32',
                '--seed',
                '0',
                '--no-progress',
            ]
        )
        == 0
    )
    assert (
        cli(
            [
                'dataset',
                str(work / 'bags'),
                '-o',
                str(work / 'data'),
                *TOPICS,
                '--rate',
                '10',
                '--image-size',
                '32',
                '32',
            ]
        )
        == 0
    )
    return work / 'data'


def test_a_policy_trained_from_bags_solves_the_task_and_a_random_one_does_not(
    dataset_from_bags, tmp_path, capsys
):
    trained = train_export_eval(tmp_path, capsys, dataset_from_bags, 'trained', steps=700)
    untrained = train_export_eval(tmp_path, capsys, dataset_from_bags, 'untrained', steps=1)
    assert untrained['success_rate'] <= 0.2, untrained
    assert trained['success_rate'] >= 0.7, trained
    assert trained['success_rate'] >= untrained['success_rate'] + 0.5


EE_TOPICS = [
    '--image-topic',
    '/camera/top/image_raw',
    '--ee-pose-topic',
    '/ee_pose',
    '--action-topic',
    '/cartesian_motion_controller/target_frame',
    '--gripper-joint',
    'gripper_finger',
    '--gripper-topic',
    '/gripper_controller/commands',
    '--gripper-open',
    '0.04',
    '--gripper-closed',
    '0.0',
    '--rotation',
    'none',
]


def test_an_end_effector_policy_trained_from_bags_takes_the_tool_to_the_target(
    tmp_path_factory, tmp_path, capsys
):
    """Cartesian teleop bags -> an ee_pose dataset -> train -> export -> eval with the gripper."""
    work = tmp_path_factory.mktemp('ee_bags_to_policy')
    demos = ['-n', '40', '--image-size', '32', '--seed', '0', '--no-progress']
    assert (
        cli(
            ['sim-demos', '-o', str(work / 'bags'), '--format', 'bag', *demos]
            + ['--task', 'reach_and_grasp', '--action-space', 'ee_pose']
        )
        == 0
    )
    convert = ['--rate', '10', '--image-size', '32', '32', '--no-progress']
    assert (
        cli(['dataset', str(work / 'bags'), '-o', str(work / 'data'), *EE_TOPICS, *convert]) == 0
    )
    trained = train_export_eval(tmp_path, capsys, work / 'data', 'trained', steps=900)
    untrained = train_export_eval(tmp_path, capsys, work / 'data', 'untrained', steps=1)
    # A short training reaches the target but does not yet time the gripper well (the
    # bundled model's 200 demos and 3000 steps do, EVAL.md): the tool's closest approach
    # is what this checks, and that the gripper does not chatter (one close per episode).
    # (the start is ~0.45 m from the target; the success disc has a 0.04 m radius)
    # Measured on training seeds 0, 1, 2: 900 steps 0.039 / 0.021 / 0.031 m, 0.8-1.0
    # changes; 600 steps reached 0.025-0.109 m and one CPU's numerics put it past 0.12.
    assert trained['mean_closest_approach_m'] <= 0.12, trained
    assert untrained['mean_closest_approach_m'] >= 0.25, untrained
    assert trained['gripper_changes_per_episode'] <= 1.5, trained
