# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
End-effector bags that cannot become episodes are refused by name, and nothing is written.

Each refusal names the bag, the topic (or frame) and what to do; a second good bag
converted first still leaves no partial dataset.
"""

from __future__ import annotations

import re

from ee_bag_factory import (
    BASE,
    EE,
    ee_settings,
    EeRecording,
    GRIPPER_JOINT,
    GRIPPER_TOPIC,
    POSE_TOPIC,
    TARGET_TOPIC,
    WORLD,
    write_ee_recording,
)
from imle_policy_ros.cli import main
from imle_policy_ros.data.bag_dataset import BagRejected, ConversionSettings, convert_bags
from imle_policy_ros.settings import SettingError
import pytest

TOP = '/camera/top/image_raw'


def refused(tmp_path, rec: EeRecording, settings=None, match=None, good_first=True) -> str:
    """Convert a good bag and one of `rec`; assert the refusal names the bad one, no trace."""
    bags = [write_ee_recording(tmp_path / 'good')] if good_first else []
    bags.append(write_ee_recording(tmp_path / 'bad', rec))
    out = tmp_path / 'dataset'
    with pytest.raises(BagRejected, match=match) as info:
        convert_bags(bags, out, settings or ee_settings(), progress=False)
    message = str(info.value)
    assert message.startswith(f'{bags[-1]}: ')
    assert not [p for p in tmp_path.iterdir() if p.name.startswith('dataset')]
    return message


def test_targets_in_another_frame_than_the_measured_poses(tmp_path):
    message = refused(tmp_path, EeRecording(target_frame=WORLD), match='cartesian_controllers')
    assert f"targets on {TARGET_TOPIC} are in frame 'world'" in message
    assert f"measured poses ({POSE_TOPIC}) in 'base_link'" in message
    assert "Publish the targets in 'base_link'" in message


@pytest.mark.parametrize(
    'quaternion, problem',
    [((0.0, 0.0, 0.0, 0.0), 'not of unit length'), ((float('nan'), 0, 0, 1), 'not finite')],
)
def test_a_bad_quaternion_names_the_topic_and_the_time(tmp_path, quaternion, problem):
    rec = EeRecording(bad_quaternion_at=5, bad_quaternion=quaternion)
    message = refused(tmp_path, rec, match=problem)
    assert f'{POSE_TOPIC} message 5, stamped 1000.050000000 s (0.050 s after the first)' in message
    assert 'Publish finite poses with unit quaternions' in message


def test_a_missing_pose_topic(tmp_path):
    settings = ee_settings(ee_pose_topic='/tcp_pose_broadcaster/pose')
    message = refused(tmp_path, EeRecording(), settings, good_first=False)
    assert 'topic /tcp_pose_broadcaster/pose is not in the bag' in message
    assert f'{POSE_TOPIC} (geometry_msgs/msg/PoseStamped' in message
    assert '--ee-pose-topic is the measured end-effector pose' in message


def test_a_pose_topic_of_the_wrong_type(tmp_path):
    settings = ee_settings(ee_pose_topic=GRIPPER_TOPIC, gripper_topic=None)
    message = refused(tmp_path, EeRecording(), settings, good_first=False)
    assert (
        f'topic {GRIPPER_TOPIC} carries std_msgs/msg/Float64MultiArray; expected '
        'geometry_msgs/msg/PoseStamped' in message
    )


def test_joint_commands_for_an_end_effector_dataset(tmp_path):
    settings = ee_settings(action_topic=GRIPPER_TOPIC, gripper_topic=None)
    message = refused(tmp_path, EeRecording(), settings, 'expected geometry_msgs', False)
    assert 'an end-effector dataset takes PoseStamped targets' in message


def test_pose_targets_for_a_joint_dataset(tmp_path):
    settings = ConversionSettings(image_topics=(TOP,), action_topic=TARGET_TOPIC)
    message = refused(tmp_path, EeRecording(), settings, good_first=False)
    assert 'carries geometry_msgs/msg/PoseStamped' in message and '--ee-pose-topic' in message


def test_a_gripper_joint_not_in_the_joint_states(tmp_path):
    message = refused(tmp_path, EeRecording(gripper_joint='panda_finger_joint1'))
    assert "gripper joint ['finger_joint'] not in the joint states on /joint_states" in message
    assert "['j1', 'j2', 'panda_finger_joint1']" in message


def test_a_gripper_that_never_moves_without_open_and_closed_given(tmp_path):
    rec = EeRecording(gripper_closed=0.04)
    message = refused(tmp_path, rec, good_first=False, match='stays at 0.04 in every bag')
    assert '--gripper-open and --gripper-closed' in message
    # given, they convert
    store, _ = convert_bags(
        [tmp_path / 'bad'],
        tmp_path / 'dataset',
        ee_settings(gripper_open=0.04, gripper_closed=0.0),
        progress=False,
    )
    assert store.meta.ee_layout.gripper.open_position == 0.04


def test_an_ee_frame_whose_chain_is_not_in_tf(tmp_path):
    rec = EeRecording(pose_from='tf')
    settings = ee_settings(ee_pose_topic=None, base_frame=BASE, ee_frame='flange')
    message = refused(tmp_path, rec, settings, good_first=False)
    assert "frame 'flange' (--ee-frame) is not in /tf or /tf_static" in message
    assert 'frames there: base_link, tool0, world, wrist' in message


def test_a_tf_chain_with_a_missing_link(tmp_path):
    rec = EeRecording(pose_from='tf', world_child='camera_link')  # world is not above base_link
    settings = ee_settings(ee_pose_topic=None, base_frame=WORLD, ee_frame=EE)
    message = refused(tmp_path, rec, settings, good_first=False)
    assert "no /tf chain from 'world' to 'tool0': the link between 'world' and " in message
    assert "'base_link' is missing" in message and 'tool0 -> wrist -> base_link' in message


def test_a_bag_without_tf(tmp_path):
    settings = ee_settings(ee_pose_topic=None, base_frame=BASE, ee_frame=EE)
    message = refused(tmp_path, EeRecording(), settings, good_first=False)
    assert 'topic /tf is not in the bag' in message and 'compose the pose from /tf' in message


def test_rotation_none_with_a_turning_orientation(tmp_path):
    rec = EeRecording(turn_rate=0.0, wobble_deg=12.0)
    message = refused(tmp_path, rec, ee_settings(rotation='none'), good_first=False)
    assert re.search(r'turn up to 1\d\.\d deg from their mean \(more than 5 deg\)', message)
    assert '--rotation 6d' in message


def test_a_later_bag_turned_from_the_first_bags_fixed_orientation(tmp_path):
    first = write_ee_recording(tmp_path / 'a', EeRecording(turn_rate=0.0))
    turned = write_ee_recording(tmp_path / 'b', EeRecording(turn_rate=0.0, wobble_deg=8.0))
    with pytest.raises(BagRejected, match="from the first bag's orientation") as info:
        convert_bags([first, turned], tmp_path / 'dataset', ee_settings(rotation='none'))
    assert str(info.value).startswith(f'{turned}: ')
    assert not (tmp_path / 'dataset').exists()


def test_poses_in_another_frame_than_the_base_frame_given(tmp_path):
    message = refused(tmp_path, EeRecording(), ee_settings(base_frame=WORLD), good_first=False)
    assert f"poses on {POSE_TOPIC} are in frame 'base_link', not the --base-frame 'world'" in (
        message
    )


def test_a_later_bag_measured_in_another_frame(tmp_path):
    rec = EeRecording(pose_frame=WORLD, target_frame=WORLD)
    message = refused(tmp_path, rec)
    assert "its poses are in frame 'world' where those of the first bag" in message


def test_poses_without_a_frame(tmp_path):
    rec = EeRecording(pose_frame='', target_frame='')
    message = refused(tmp_path, rec, good_first=False, match='name no frame')
    assert '--base-frame' in message


def test_settings_that_do_not_fit_together():
    with pytest.raises(SettingError, match='are for end-effector datasets'):
        ConversionSettings(image_topics=(TOP,), action_topic='/c', rotation='none')
    with pytest.raises(SettingError, match='needs both --base-frame and --ee-frame'):
        ConversionSettings(image_topics=(TOP,), action_topic='/c', base_frame=BASE)
    with pytest.raises(SettingError, match='both --gripper-open and --gripper-closed'):
        ee_settings(gripper_open=0.04)
    with pytest.raises(SettingError, match='leave it out of --state-joints'):
        ee_settings(state_joints=(GRIPPER_JOINT,))
    with pytest.raises(SettingError, match='name a topic twice'):
        ee_settings(gripper_topic=TARGET_TOPIC)


def test_the_cli_prints_the_refusal_as_one_line(tmp_path, capsys):
    bag = write_ee_recording(tmp_path / 'bag', EeRecording(target_frame=WORLD))
    out = tmp_path / 'dataset'
    argv = ['dataset', str(bag), '-o', str(out), '--image-topic', TOP, '--no-progress']
    argv += ['--ee-pose-topic', POSE_TOPIC, '--action-topic', TARGET_TOPIC]
    assert main(argv) == 1 and not out.exists()
    err = capsys.readouterr().err
    assert 'bag refused, no dataset written' in err and str(bag) in err
    assert len(err.strip().splitlines()) == 1
