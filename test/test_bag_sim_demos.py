# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sim-demos --format bag -> dataset.

The bag round trip reproduces the direct sim-demos dataset.
"""

from __future__ import annotations

import json
from pathlib import Path

from imle_policy_ros.cli import main
from imle_policy_ros.data import EpisodeStore
from imle_policy_ros.data.camera_names import camera_names_for_topics
from imle_policy_ros.sim import (
    CAMERA_NAME,
    DemoConfig,
    draw_episodes,
    generate_demos,
    ScriptedExpert,
)
from imle_policy_ros.sim.sim_topics import CAMERA_TOPIC, JOINT_STATE_TOPIC, TRAJECTORY_TOPIC
import numpy as np
import pytest
import yaml

SEED, EPISODES, SIZE = 5, 2, 32
TOPIC_ARGS = [
    '--image-topic',
    CAMERA_TOPIC,
    '--joint-state-topic',
    JOINT_STATE_TOPIC,
    '--action-topic',
    TRAJECTORY_TOPIC,
    '--image-size',
    str(SIZE),
    str(SIZE),
    '--no-progress',
]


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """Bags from sim-demos, their conversion, and the direct dataset of the same seed."""
    root = tmp_path_factory.mktemp('sim_bags')
    bags, dataset = root / 'bags', root / 'dataset'
    assert (
        main(
            [
                'sim-demos',
                '-n',
                str(EPISODES),
                '-o',
                str(bags),
                '--seed',
                str(SEED),
                '--image-size',
                str(SIZE),
                '--format',
                'bag',
                '--no-progress',
            ]
        )
        == 0
    )
    assert main(['dataset', str(bags), '-o', str(dataset), *TOPIC_ARGS]) == 0
    direct = generate_demos(
        EPISODES, root / 'direct', seed=SEED, demos=DemoConfig(image_size=SIZE), progress=False
    )
    return bags, EpisodeStore.open(dataset), direct


def test_bags_are_laid_out_as_ros2_bag_record_writes_them(converted):
    bags, _, _ = converted
    assert sorted(p.name for p in bags.iterdir()) == [
        'demos.json',
        'episode_000000',
        'episode_000001',
    ]
    for name in ('episode_000000', 'episode_000001'):
        assert sorted(p.name for p in (bags / name).iterdir()) == sorted(
            ['metadata.yaml', f'{name}.mcap']
        )
        info = yaml.safe_load((bags / name / 'metadata.yaml').read_text())[
            'rosbag2_bagfile_information'
        ]
        assert info['version'] == 9 and info['storage_identifier'] == 'mcap'
        topics = {t['topic_metadata']['name']: t for t in info['topics_with_message_count']}
        assert topics[CAMERA_TOPIC]['topic_metadata']['type'] == 'sensor_msgs/msg/Image'
        assert topics[JOINT_STATE_TOPIC]['topic_metadata']['type'] == 'sensor_msgs/msg/JointState'
        assert (
            topics[TRAJECTORY_TOPIC]['topic_metadata']['type']
            == 'trajectory_msgs/msg/JointTrajectory'
        )
        # 30 Hz frames and 100 Hz joint states over the episode, one command per 10 Hz step.
        commands = topics[TRAJECTORY_TOPIC]['message_count']
        assert topics[CAMERA_TOPIC]['message_count'] == 3 * commands + 1
        assert topics[JOINT_STATE_TOPIC]['message_count'] == 10 * commands + 1


def test_demos_json_records_seed_sides_and_steps(converted):
    bags, dataset, direct = converted
    info = json.loads((bags / 'demos.json').read_text())
    assert info['seed'] == SEED and info['format'] == 'rosbag2'
    assert info['side_counts'] == direct.meta.source['side_counts']
    assert info['episode_sides'] == [side for _, side in draw_episodes(EPISODES, SEED)]
    assert [b['steps'] for b in info['bags']] == dataset.episode_lengths == direct.episode_lengths


def test_converted_dataset_has_the_expert_commands_at_the_rate(converted):
    _, dataset, _ = converted
    meta = dataset.meta
    assert meta.camera_names == (CAMERA_NAME,) and meta.state_names == ('shoulder', 'elbow')
    assert meta.action_names == meta.state_names and meta.action_kind == 'joint_position'
    assert meta.rate_hz == 10.0 and meta.source['image_topics'] == [CAMERA_TOPIC]
    expert = ScriptedExpert()
    for i, (scene, side) in enumerate(draw_episodes(EPISODES, SEED)):
        ep = dataset.episode(i)
        length = len(ep)
        assert ep.images[CAMERA_NAME].shape == (length, SIZE, SIZE, 3)
        np.testing.assert_allclose(ep.stamps, np.arange(length) * 0.1, atol=1e-9)
        expert.reset(scene, rng=None, side=side)
        expected = np.stack([expert.action(k * 0.1, 0.1) for k in range(length)])
        np.testing.assert_allclose(ep.actions, expected, atol=1e-6)


def test_converted_dataset_matches_the_direct_one(converted):
    # The arm reaches every command within its step both ways (the expert plans within the
    # velocity limit), frames fall exactly on the steps, and stamps are header stamps: so
    # the same states, frames and commands, up to float32 rounding of the positions.
    _, dataset, direct = converted
    for i in range(EPISODES):
        a, b = dataset.episode(i), direct.episode(i)
        np.testing.assert_allclose(a.states, b.states, atol=1e-6)
        np.testing.assert_allclose(a.actions, b.actions, atol=1e-6)
        assert np.abs(a.images[CAMERA_NAME].astype(int) - b.images[CAMERA_NAME]).max() <= 1
        np.testing.assert_allclose(a.stamps, b.stamps, atol=1e-9)


def test_humble_sqlite3_bags_convert_the_same(tmp_path, converted, capsys):
    _, dataset, _ = converted
    bags, out = tmp_path / 'humble', tmp_path / 'humble_dataset'
    assert (
        main(
            [
                'sim-demos',
                '-n',
                '1',
                '-o',
                str(bags),
                '--seed',
                str(SEED),
                '--image-size',
                str(SIZE),
                '--format',
                'bag',
                '--storage',
                'sqlite3',
                '--distro',
                'humble',
                '--no-progress',
            ]
        )
        == 0
    )
    bag = bags / 'episode_000000'
    assert sorted(p.name for p in bag.iterdir()) == ['episode_000000.db3', 'metadata.yaml']
    info = yaml.safe_load((bag / 'metadata.yaml').read_text())['rosbag2_bagfile_information']
    assert info['version'] == 8 and info['storage_identifier'] == 'sqlite3'
    # Humble parses offered_qos_profiles as a YAML string (version 9 made it a list).
    assert all(
        isinstance(t['topic_metadata']['offered_qos_profiles'], str)
        for t in info['topics_with_message_count']
    )
    assert main(['dataset', str(bag), '-o', str(out), *TOPIC_ARGS]) == 0
    assert 'steps dropped (stale input): 0; misaligned' in capsys.readouterr().out
    a, b = EpisodeStore.open(out).episode(0), dataset.episode(0)
    np.testing.assert_array_equal(a.actions, b.actions)
    np.testing.assert_array_equal(a.images[CAMERA_NAME], b.images[CAMERA_NAME])


def test_bag_topics_are_the_live_simulators(tmp_path):
    # A bag recorded from sim_robot_node under config/sim.yaml converts with the same topics,
    # and the camera name derived from the topic is the one sim-demos gives its camera.
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / 'config' / 'sim.yaml').read_text()
    )
    sim = config['sim_robot']['ros__parameters']
    assert (sim['camera_topic'], sim['joint_state_topic'], sim['trajectory_topic']) == (
        CAMERA_TOPIC,
        JOINT_STATE_TOPIC,
        TRAJECTORY_TOPIC,
    )
    assert config['imle_policy']['ros__parameters']['image_topics'] == [CAMERA_TOPIC]
    assert camera_names_for_topics([CAMERA_TOPIC]) == (CAMERA_NAME,)


def test_bag_demos_refuse_to_replace_anything_but_bag_demos(tmp_path, capsys):
    other = tmp_path / 'other'
    other.mkdir()
    (other / 'keep.txt').write_text('mine')
    args = ['sim-demos', '-n', '1', '--image-size', '16', '--format', 'bag', '--no-progress']
    assert main([*args, '-o', str(other), '--overwrite']) == 1
    assert 'not bag demos' in capsys.readouterr().err
    assert (other / 'keep.txt').read_text() == 'mine'
    bags = tmp_path / 'bags'
    assert main([*args, '-o', str(bags)]) == 0
    assert main([*args, '-o', str(bags)]) == 1  # exists: refused without --overwrite
    assert 'exists' in capsys.readouterr().err
    assert main([*args, '-o', str(bags), '--seed', '1', '--overwrite']) == 0
    assert json.loads((bags / 'demos.json').read_text())['seed'] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        'bags',
        'other',
    ]  # no temporary leftovers
