# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Bag -> end-effector episode on synthetic Cartesian recordings whose poses are known.

The recordings come from test/ee_bag_factory.py: the measured tool pose ee_pose(t) at
100 Hz, targets ee_pose(t + 0.1) at 10 Hz, a gripper joint closing from 0.3 s to 0.7 s and
its command. The gripper command has no header, so it is dated by its log time, 3 ms
after it was sent: steps with a gripper command start at 3 ms.
"""

from __future__ import annotations

from dataclasses import replace
import json

from ee_bag_factory import (
    ARM_JOINTS,
    BASE,
    EE,
    ee_pose,
    EeRecording,
    gripper_command,
    GRIPPER_JOINT,
    gripper_position,
    GRIPPER_TOPIC,
    POSE_TOPIC,
    TARGET_TOPIC,
    WORLD,
    WORLD_TO_BASE,
    write_ee_recording,
)
from ee_bag_factory import (
    ee_settings as factory_settings,
)
from imle_policy_ros.cli import main
from imle_policy_ros.data import EpisodeStore
from imle_policy_ros.data.bag_dataset import bag_to_episode, ConversionSettings, convert_bags
from imle_policy_ros.runtime import rotations
from imle_policy_ros.runtime.ee_layout import GripperSpec
import numpy as np
import pytest

TOP = '/camera/top/image_raw'
FRANKA = GripperSpec(GRIPPER_JOINT, 0.04, 0.0)  # the factory's gripper: open 0.04, closed 0
ATOL = 1e-6  # states and actions are float32


def ee_settings(**overrides) -> ConversionSettings:
    return factory_settings(**{'gripper_open': 0.04, 'gripper_closed': 0.0, **overrides})


def same_rotations(a, b) -> None:
    """Assert quaternions [..., 4] are the same rotations (q and -q are one)."""
    np.testing.assert_allclose(rotations.angle_between(a, b), 0.0, atol=1e-3)


def expected(times, spec=FRANKA, lead=0.1, command=True, rec=EeRecording()):
    """Return (measured poses, targets, state gripper, action gripper) at step times."""
    poses = np.stack([ee_pose(t, rec) for t in times])
    targets = np.stack([ee_pose(t + lead, rec) for t in times])
    state = spec.normalize([gripper_position(t, rec) for t in times])
    if command:
        action = spec.normalize([gripper_command(t, rec) for t in times])
    else:
        action = spec.normalize([gripper_position(t + lead, rec) for t in times])
    return poses, targets, state, action


def test_states_and_actions_are_the_layouts_of_the_known_poses(tmp_path):
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag'), ee_settings())
    ep, layout = item.episode, item.layout
    assert layout.base_frame == BASE and layout.ee_frame == EE and layout.rotation == '6d'
    assert layout.reference == 'absolute' and layout.gripper == FRANKA
    # Steps from the gripper command's first log time (3 ms) to the last target (0.9 s).
    assert len(ep) == 9 and item.start_time_ns == 1_000_000_000_000 + 3_000_000
    times = 0.1 * np.arange(9)  # the newest 100 Hz pose at each step is 3 ms old
    poses, targets, grip_state, grip_action = expected(times)
    np.testing.assert_allclose(ep.states, layout.state(poses, grip_state), atol=ATOL)
    np.testing.assert_allclose(ep.actions, layout.encode(targets, grip_action), atol=ATOL)
    assert ep.actions[2, 9] == 0.0 and ep.actions[3, 9] == 1.0  # commanded closed at 0.3 s
    decoded, gripper = layout.decode(ep.actions)
    np.testing.assert_allclose(decoded[:, :3], targets[:, :3], atol=ATOL)
    same_rotations(decoded[:, 3:], targets[:, 3:])
    np.testing.assert_allclose(gripper, grip_action, atol=ATOL)
    # The raw commands stay beside the episode, quaternions continuous.
    np.testing.assert_allclose(ep.extras['command_pose'][:, :3], targets[:, :3], atol=1e-12)
    same_rotations(ep.extras['command_pose'][:, 3:], targets[:, 3:])
    np.testing.assert_allclose(ep.extras['gripper_command'], [gripper_command(t) for t in times])
    for name in ('ee_pose', 'command_pose'):
        q = ep.extras[name][:, 3:]
        assert (np.sum(q[1:] * q[:-1], axis=1) > 0).all(), name
    assert 'ee pose from ' + POSE_TOPIC + ' (base_link -> tool0)' in item.report.line()
    assert 'gripper joint finger_joint 0..0.04 (open 0.04, closed 0)' in item.report.line()


def test_relative_actions_are_the_layouts_rule_on_the_stored_absolute_ones(tmp_path):
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag'), ee_settings())
    ep, relative = item.episode, replace(item.layout, reference='relative')
    for k in range(len(ep)):
        at = ep.extras['ee_pose'][k]
        moved = relative.relative_to(ep.actions[[k]], at)[0]
        # 0.1 s ahead: the position's offset, and the turn seen from the tool: 0.05 rad.
        np.testing.assert_allclose(moved[:3], [0.01, -0.02, 0.005], atol=ATOL)
        turn = rotations.from_6d(moved[3:9])
        assert rotations.angle_between(turn, rotations.IDENTITY_QUATERNION) == pytest.approx(
            0.05, abs=1e-5
        )
        assert moved[9] == ep.actions[k, 9]  # the gripper stays absolute


def test_rotation_none_keeps_the_targets_orientation_as_the_fixed_one(tmp_path):
    rec = EeRecording(turn_rate=0.0, wobble_deg=2.0)  # within the few degrees allowed
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag', rec), ee_settings(rotation='none'))
    ep, layout = item.episode, item.layout
    assert layout.action_names == ('x', 'y', 'z', 'gripper')
    assert layout.state_names == ('ee_x', 'ee_y', 'ee_z', 'gripper')
    same_rotations(layout.fixed_orientation, ee_pose(0.0, rec)[3:])
    poses, targets, grip_state, grip_action = expected(0.1 * np.arange(9), rec=rec)
    np.testing.assert_allclose(ep.states, np.c_[poses[:, :3], grip_state], atol=ATOL)
    np.testing.assert_allclose(ep.actions, np.c_[targets[:, :3], grip_action], atol=ATOL)
    decoded, _ = layout.decode(ep.actions)
    assert (decoded[:, 3:] == np.asarray(layout.fixed_orientation)).all()


def test_quaternion_sign_flips_in_the_recording_change_nothing(tmp_path):
    plain = bag_to_episode(write_ee_recording(tmp_path / 'plain'), ee_settings()).episode
    flipped_rec = EeRecording(flip_signs=True)
    flipped = bag_to_episode(write_ee_recording(tmp_path / 'flip', flipped_rec), ee_settings())
    np.testing.assert_allclose(flipped.episode.states, plain.states, atol=1e-7)
    np.testing.assert_allclose(flipped.episode.actions, plain.actions, atol=1e-7)
    for name in ('ee_pose', 'command_pose'):
        q = flipped.episode.extras[name][:, 3:]
        assert (np.sum(q[1:] * q[:-1], axis=1) > 0).all(), name
        np.testing.assert_allclose(np.abs(q), np.abs(plain.extras[name][:, 3:]), atol=1e-12)
    # rotation none averages the orientation: a flipped half must not cancel the other
    still = EeRecording(turn_rate=0.0, flip_signs=True)
    item = bag_to_episode(
        write_ee_recording(tmp_path / 'still', still), ee_settings(rotation='none')
    )
    same_rotations(item.layout.fixed_orientation, ee_pose(0.0, still)[3:])


@pytest.mark.parametrize('tool_static', [True, False])
def test_a_tf_chain_of_two_links_is_composed(tmp_path, tool_static):
    # base_link -> wrist moves on /tf; wrist -> tool0 on /tf_static (or moving with it).
    rec = EeRecording(pose_from='tf', tool_static=tool_static)
    settings = ee_settings(ee_pose_topic=None, base_frame=BASE, ee_frame=EE)
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag', rec), settings)
    topic = bag_to_episode(write_ee_recording(tmp_path / 'topic'), ee_settings())
    assert item.layout == topic.layout
    np.testing.assert_allclose(item.episode.states, topic.episode.states, atol=1e-6)
    np.testing.assert_allclose(item.episode.actions, topic.episode.actions, atol=1e-6)
    assert f'ee pose from /tf chain {BASE} -> {EE}' in item.report.line()
    assert 'dated by log time: /gripper_controller/commands;' in item.report.line()


def test_a_tf_chain_through_a_common_ancestor_with_next_state_actions(tmp_path):
    # world holds base_link (static); the pose of tool0 in world goes up to world and down.
    rec = EeRecording(pose_from='tf', target_topic=None, gripper_topic=None)
    settings = ee_settings(
        ee_pose_topic=None,
        base_frame=WORLD,
        ee_frame=EE,
        action_topic=None,
        action_from='next_state',
        gripper_topic=None,
    )
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag', rec), settings)
    ep, layout = item.episode, item.layout
    assert layout.base_frame == WORLD and len(ep) == 10 and item.start_time_ns % 10**9 == 0
    times = 0.1 * np.arange(10)
    poses, targets, grip_state, grip_next = expected(times, command=False)
    in_world = rotations.compose(WORLD_TO_BASE, poses)
    np.testing.assert_allclose(ep.extras['ee_pose'][:, :3], in_world[:, :3], atol=1e-9)
    np.testing.assert_allclose(ep.states, layout.state(in_world, grip_state), atol=ATOL)
    targets_in_world = rotations.compose(WORLD_TO_BASE, targets)
    np.testing.assert_allclose(ep.actions, layout.encode(targets_in_world, grip_next), atol=ATOL)
    assert set(ep.extras) == {'ee_pose'}


def test_next_state_actions_are_the_measured_pose_and_gripper_one_step_later(tmp_path):
    rec = EeRecording(target_topic=None, gripper_topic=None)
    settings = ee_settings(action_topic=None, action_from='next_state', gripper_topic=None)
    item = bag_to_episode(write_ee_recording(tmp_path / 'bag', rec), settings)
    ep = item.episode
    assert len(ep) == 10  # poses run to 1.0 s: the last step with a pose after it is 0.9 s
    np.testing.assert_allclose(ep.actions[:-1], ep.states[1:], atol=ATOL)
    poses, targets, _, grip_next = expected(0.1 * np.arange(10), command=False)
    np.testing.assert_allclose(ep.actions, item.layout.encode(targets, grip_next), atol=ATOL)


def test_gripper_range_from_the_data_names_which_end_is_open(tmp_path):
    # A Franka hand starts open at 0.04; a Robotiq-like one at 0 (closed at 0.8).
    for name, opened, closed in (('franka', 0.04, 0.0), ('robotiq', 0.0, 0.8)):
        rec = EeRecording(gripper_open=opened, gripper_closed=closed)
        bag = write_ee_recording(tmp_path / name, rec)
        store, _ = convert_bags(
            [bag],
            tmp_path / f'data_{name}',
            ee_settings(gripper_open=None, gripper_closed=None),
            progress=False,
        )
        spec = store.meta.ee_layout.gripper
        assert (spec.open_position, spec.closed_position) == (opened, closed)
        assert store.meta.source['gripper_range_from'] == 'data'
        note = store.meta.source['notes'][0]
        assert f'open {opened:g}, closed {closed:g}, the extremes of the data' in note
        assert '--gripper-open and --gripper-closed' in note
        states = store.episode(0).states[:, 9]
        assert states[0] == 0.0 and states[-1] == 1.0  # open at the start, closed at 0.8 s


def test_gripper_range_from_the_data_spans_every_bag(tmp_path):
    # The first bag never closes (it ends at 0.25 s); the range comes from both bags.
    short = write_ee_recording(tmp_path / 'a', EeRecording(duration_s=0.25))
    full = write_ee_recording(tmp_path / 'b')
    settings = ee_settings(gripper_open=None, gripper_closed=None)
    store, _ = convert_bags([short, full], tmp_path / 'data', settings, progress=False)
    assert store.meta.ee_layout.gripper == FRANKA
    assert (np.asarray(store.episode(0).states[:, 9]) == 0.0).all()


def test_gripper_from_its_command_only_and_from_its_own_joint_state_message(tmp_path):
    bag = write_ee_recording(tmp_path / 'bag', EeRecording(gripper_own_message=True))
    item = bag_to_episode(bag, ee_settings())
    reference = bag_to_episode(write_ee_recording(tmp_path / 'ref'), ee_settings())
    np.testing.assert_allclose(item.episode.states, reference.episode.states)
    # Without a measured joint the state's gripper is the command in effect.
    commanded = bag_to_episode(bag, ee_settings(gripper_joint=None))
    grip = commanded.episode.states[:, 9]
    np.testing.assert_allclose(grip, commanded.episode.actions[:, 9])
    assert commanded.layout.gripper == GripperSpec('', 0.04, 0.0)
    np.testing.assert_allclose(
        grip, FRANKA.normalize([gripper_command(0.1 * k) for k in range(9)])
    )


def test_state_joints_follow_the_pose_and_gripper(tmp_path):
    from bag_factory import joint_positions

    item = bag_to_episode(
        write_ee_recording(tmp_path / 'bag'), ee_settings(state_joints=ARM_JOINTS)
    )
    assert item.layout.state_names[-3:] == ('gripper', 'j1', 'j2')
    for k in range(len(item.episode)):
        np.testing.assert_allclose(
            item.episode.states[k, -2:], joint_positions(0.1 * k), atol=ATOL
        )


def test_dataset_cli_writes_an_ee_pose_dataset(tmp_path, capsys):
    bags = [write_ee_recording(tmp_path / f'bag{i}') for i in range(2)]
    out = tmp_path / 'dataset'
    argv = ['dataset', *map(str, bags), '-o', str(out), '--image-topic', TOP]
    argv += ['--ee-pose-topic', POSE_TOPIC, '--action-topic', TARGET_TOPIC]
    argv += ['--gripper-joint', GRIPPER_JOINT, '--gripper-topic', GRIPPER_TOPIC]
    argv += ['--state-joints', 'j1', '--state-joints', 'j2', '--image-size', '4', '4']
    assert main(argv + ['--no-progress', '--verbose']) == 0
    printed = capsys.readouterr().out
    assert f'episode_000001 <- {bags[1]}: 9 steps, 0 dropped' in printed
    assert f'ee pose from {POSE_TOPIC} (base_link -> tool0)' in printed
    meta = json.loads((out / 'meta.json').read_text())
    assert meta['action_kind'] == 'ee_pose'
    layout = meta['ee_layout']
    assert (layout['base_frame'], layout['ee_frame'], layout['rotation']) == (BASE, EE, '6d')
    assert layout['reference'] == 'absolute' and layout['state_joints'] == ['j1', 'j2']
    assert layout['gripper'] == {
        'joint': GRIPPER_JOINT,
        'open_position': 0.04,
        'closed_position': 0.0,
        'threshold': 0.5,
    }
    assert meta['extras'] == {'ee_pose': [7], 'command_pose': [7], 'gripper_command': []}
    source = meta['source']
    assert source['ee_pose_topic'] == POSE_TOPIC and source['action_topic'] == TARGET_TOPIC
    assert any('ee_frame tool0: the default' in n for n in source['notes'])
    store = EpisodeStore.open(out)
    assert list(store.meta.state_names) == layout['state_names'] and len(store) == 2
    assert store.episode(1).extras['command_pose'].shape == (9, 7)
