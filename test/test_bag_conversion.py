# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Bag -> episode on synthetic recordings whose content at every instant is known.

The recordings come from test/bag_factory.py.
"""

from __future__ import annotations

from bag_factory import (
    Camera,
    frame_value,
    joint_positions,
    JOINTS,
    NS,
    Recording,
    storage_file,
    write_recording,
)
from imle_policy_ros.cli import main
from imle_policy_ros.data import EpisodeStore
from imle_policy_ros.data.bag_alignment import align
from imle_policy_ros.data.bag_dataset import bag_to_episode, ConversionSettings, convert_bags
from imle_policy_ros.data.camera_names import camera_names_for_topics
import numpy as np
import pytest

TOP = '/camera/top/image_raw'
COMMANDS = '/joint_trajectory_controller/joint_trajectory'


def settings(**overrides) -> ConversionSettings:
    kw = {'image_topics': (TOP,), 'action_topic': COMMANDS, 'image_size': (4, 4)}
    kw.update(overrides)
    return ConversionSettings(**kw)


def expected_rgb(i: int) -> np.ndarray:
    v = frame_value(i)
    return np.array([v, 255 - v, 100], np.uint8)


def test_steps_pair_the_newest_frame_and_state_with_the_command_in_joint_state_order(tmp_path):
    item = bag_to_episode(write_recording(tmp_path / 'bag'), settings())
    ep = item.episode
    assert item.camera_names == ('top',) and item.joint_names == JOINTS
    # Steps from the first instant every topic has spoken to the last command (0.9 s).
    assert len(ep) == item.report.steps == item.report.grid_steps == 10
    np.testing.assert_allclose(ep.stamps, np.arange(10) * 0.1, atol=1e-12)
    for k in range(10):
        # Frames are dated by header stamp (their log times are 30 ms later): frame 3k at step k.
        assert (ep.images['top'][k] == expected_rgb(3 * k)).all()
        np.testing.assert_allclose(ep.states[k], joint_positions(0.1 * k), atol=1e-6)
        # Commanded in the order (j2, j1); the action is in the joint states' order (j1, j2).
        np.testing.assert_allclose(ep.actions[k], joint_positions(0.1 * k + 0.1), atol=1e-6)
    assert item.report.misaligned == 0 and item.report.max_input_age_ms == 0


def test_humble_sqlite3_jazzy_mcap_and_a_bare_storage_file_read_the_same(tmp_path):
    jazzy = write_recording(tmp_path / 'jazzy', storage='mcap', distro='jazzy')
    humble = write_recording(tmp_path / 'humble', storage='sqlite3', distro='humble')
    episodes = [
        bag_to_episode(bag, settings()).episode for bag in (jazzy, humble, storage_file(humble))
    ]
    for other in episodes[1:]:
        np.testing.assert_array_equal(other.images['top'], episodes[0].images['top'])
        np.testing.assert_array_equal(other.actions, episodes[0].actions)
        np.testing.assert_array_equal(other.stamps, episodes[0].stamps)


@pytest.mark.parametrize('command_type, stamped', [('float64', True), ('trajectory', False)])
def test_commands_without_a_header_stamp_are_dated_by_log_time(tmp_path, command_type, stamped):
    # Float64MultiArray has no header; a JointTrajectory stamped 0 means "start now". Both
    # are logged 3 ms after they were sent, so the steps start 3 ms after the sensors.
    rec = Recording(
        command_topic='/forward_position_controller/commands'
        if command_type == 'float64'
        else COMMANDS,
        command_type=command_type,
        command_stamped=stamped,
    )
    item = bag_to_episode(
        write_recording(tmp_path / 'bag', rec), settings(action_topic=rec.command_topic)
    )
    ep = item.episode
    assert item.start_time_ns == 1_000_000_000_000 + 3_000_000
    assert (
        item.report.header_stamped[rec.command_topic] is False
        and item.report.header_stamped[TOP] is True
    )
    assert len(ep) == 10
    for k in range(10):
        assert (ep.images['top'][k] == expected_rgb(3 * k)).all()
        np.testing.assert_allclose(ep.states[k], joint_positions(0.1 * k), atol=1e-6)
        np.testing.assert_allclose(ep.actions[k], joint_positions(0.1 * k + 0.1), atol=1e-6)


@pytest.mark.parametrize('encoding', ['bgr8', 'mono8', '16UC1', 'jpeg', 'png'])
def test_image_encodings_decode_to_rgb(tmp_path, encoding):
    rec = Recording(
        cameras=[
            Camera(TOP + ('/compressed' if encoding in ('jpeg', 'png') else ''), encoding=encoding)
        ]
    )
    item = bag_to_episode(
        write_recording(tmp_path / 'bag', rec),
        settings(image_topics=(rec.cameras[0].topic,), depth_max=2.0),
    )
    frames = item.episode.images['top']
    assert frames.shape == (10, 4, 4, 3) and frames.dtype == np.uint8
    for k in range(10):
        v = frame_value(3 * k)
        if encoding == 'mono8':
            expected = np.array([v, v, v])
        elif encoding == '16UC1':  # 10 v mm, scaled so that 2 m is white
            grey = round(min(10 * v / 1000 / 2.0, 1.0) * 255)
            expected = np.array([grey, grey, grey])
        else:
            expected = expected_rgb(3 * k)
        tolerance = 3 if encoding == 'jpeg' else 0
        assert np.abs(frames[k].astype(int) - expected).max() <= tolerance, (
            k,
            frames[k, 0, 0],
            expected,
        )


def test_next_state_actions_are_the_joint_state_one_step_later(tmp_path):
    rec = Recording(command_topic=None)
    item = bag_to_episode(
        write_recording(tmp_path / 'bag', rec),
        settings(action_topic=None, action_from='next_state'),
    )
    ep = item.episode
    assert len(ep) == 10  # states run to 1.0 s: the last step with a state after it is 0.9 s
    np.testing.assert_allclose(ep.actions[:-1], ep.states[1:])
    np.testing.assert_allclose(ep.actions[-1], joint_positions(1.0), atol=1e-6)


def test_two_cameras_at_their_own_rates(tmp_path):
    rec = Recording(
        cameras=[Camera(TOP), Camera('/wrist/image_raw/compressed', rate_hz=15.0, encoding='png')]
    )
    out = tmp_path / 'dataset'
    store, reports = convert_bags(
        [write_recording(tmp_path / 'bag', rec)],
        out,
        settings(image_topics=(TOP, '/wrist/image_raw/compressed')),
        progress=False,
    )
    assert store.meta.camera_names == ('top', 'wrist')
    ep = EpisodeStore.open(out).episode(0)
    for k in range(len(ep)):
        assert (ep.images['top'][k] == expected_rgb(3 * k)).all()
        assert (
            ep.images['wrist'][k] == expected_rgb(int(1.5 * k))
        ).all()  # newest 15 Hz frame at or before
    # Odd steps see a wrist frame 33 ms old: under half a step, so aligned.
    assert reports[0].misaligned == 0 and reports[0].max_input_age_ms == pytest.approx(
        100 / 3, abs=1e-3
    )


def test_a_stalled_camera_drops_the_steps_it_leaves_stale(tmp_path):
    # No frames strictly between 0.4 s and 0.8 s; steps may use a frame up to 2 steps old.
    rec = Recording(cameras=[Camera(TOP, skip=(0.4, 0.8))])
    item = bag_to_episode(write_recording(tmp_path / 'bag', rec), settings())
    report, ep = item.report, item.episode
    assert (
        report.grid_steps == 10
        and report.steps == 9
        and report.dropped == {'camera top': 1, 'joint states': 0}
    )
    np.testing.assert_allclose(
        ep.stamps, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 0.9], atol=1e-12
    )
    assert report.misaligned == 2  # 0.5 s and 0.6 s see the 0.4 s frame
    assert (ep.images['top'][6] == expected_rgb(12)).all()
    assert '1 dropped (stale camera top 1)' in report.line()
    tighter = bag_to_episode(tmp_path / 'bag', settings(max_age=0.15)).report
    assert tighter.steps == 8


def test_dataset_cli_writes_meta_and_prints_a_report(tmp_path, capsys):
    bags = [write_recording(tmp_path / f'bag{i}') for i in range(2)]
    out = tmp_path / 'dataset'
    assert (
        main(
            [
                'dataset',
                *map(str, bags),
                '-o',
                str(out),
                '--image-topic',
                TOP,
                '--action-topic',
                COMMANDS,
                '--image-size',
                '6',
                '4',
                '--rate',
                '5',
                '--no-progress',
                '--verbose',
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert f'episode_000001 <- {bags[1]}: 5 steps, 0 dropped' in printed
    assert (
        'steps dropped (stale input): 0; misaligned (an input over half a step old): 0' in printed
    )
    store = EpisodeStore.open(out)
    assert store.episode_lengths == [5, 5] and store.meta.rate_hz == 5.0
    assert store.meta.cameras[0].height == 6 and store.meta.cameras[0].width == 4
    np.testing.assert_allclose(store.episode(0).stamps, np.arange(5) * 0.2)
    source = store.meta.source
    assert source['bags'] == [str(b) for b in bags] and source['action_topic'] == COMMANDS
    assert source['joint_state_topic'] == '/joint_states' and source['image_topics'] == [TOP]


def test_camera_names_come_from_the_topics():
    assert camera_names_for_topics(['/camera/top/image_raw']) == ('top',)
    assert camera_names_for_topics(['/camera/camera/color/image_raw']) == ('color',)
    assert camera_names_for_topics(['/wrist_cam/image_rect/compressed', '/camera/image_raw']) == (
        'wrist_cam',
        'camera',
    )
    assert camera_names_for_topics(['/left/color/image_raw', '/right/color/image_raw']) == (
        'left_color',
        'right_color',
    )
    with pytest.raises(ValueError, match='--camera-name'):
        camera_names_for_topics(['/a/image_raw', '/a/image_raw/compressed'])
    with pytest.raises(ValueError, match='camera names'):
        settings(image_topics=(TOP,), camera_names=('a', 'b'))


def test_alignment_grid_is_exact_in_nanoseconds():
    # 30 Hz frames and 100 Hz states against a 10 Hz grid over an hour: no drift, age 0.
    hour = 3600 * NS
    frames = np.array([round(i * NS / 30) for i in range(30 * 3600 + 1)], dtype=np.int64)
    states = np.arange(0, hour + 1, NS // 100, dtype=np.int64)
    commands = np.arange(0, hour + 1, NS // 10, dtype=np.int64)
    a = align(
        {'camera': frames, 'joint states': states}, commands, 10.0, 'command', 'joint states'
    )
    assert len(a.step_times_ns) == 36001 and a.max_input_age_ns == 0 and a.misaligned == 0
    np.testing.assert_array_equal(frames[a.observation_indices['camera']], a.step_times_ns)
