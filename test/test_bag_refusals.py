# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Bags that cannot become episodes are refused, and no dataset is written.

The refusal is one message naming the bag.
"""

from __future__ import annotations

from bag_factory import BASE_NS, Camera, Recording, storage_file, write_recording
from imle_policy_ros.cli import main
from imle_policy_ros.data import bag_messages as bm
from imle_policy_ros.data.bag_dataset import BagRejected, ConversionSettings, convert_bags
from imle_policy_ros.data.bag_writer import BagWriter, SENSOR_DATA_QOS
import numpy as np
import pytest

TOP = '/camera/top/image_raw'
COMMANDS = '/joint_trajectory_controller/joint_trajectory'
SETTINGS = ConversionSettings(image_topics=(TOP,), action_topic=COMMANDS, image_size=(4, 4))


def refused(tmp_path, bags, settings=SETTINGS, match: str = '') -> str:
    """Convert `bags`; assert it is refused, names the (last) bag, and leaves no trace."""
    out = tmp_path / 'dataset'
    with pytest.raises(BagRejected, match=match) as info:
        convert_bags(bags, out, settings, progress=False)
    message = str(info.value)
    assert message.startswith(f'{bags[-1]}: ')
    assert not out.exists()
    assert not [
        p for p in tmp_path.iterdir() if p.name.startswith('dataset')
    ]  # no temporary dirs either
    return message


def cli_refused(tmp_path, capsys, bag, *extra) -> str:
    out = tmp_path / 'dataset'
    code = main(
        [
            'dataset',
            str(bag),
            '-o',
            str(out),
            '--image-topic',
            TOP,
            '--action-topic',
            COMMANDS,
            '--no-progress',
            *extra,
        ]
    )
    assert code == 1 and not out.exists()
    err = capsys.readouterr().err
    assert str(bag) in err and 'no dataset written' in err
    return err


def test_missing_topic_lists_the_topics_the_bag_has(tmp_path, capsys):
    bag = write_recording(tmp_path / 'bag')
    err = cli_refused(tmp_path, capsys, bag, '--image-topic', '/camera/wrist/image_raw')
    assert 'topic /camera/wrist/image_raw is not in the bag' in err
    assert (
        '/joint_states (sensor_msgs/msg/JointState' in err
        and f'{TOP} (sensor_msgs/msg/Image' in err
    )


def test_empty_episode(tmp_path):
    # The camera starts after the last command: no step has every input.
    bag = write_recording(
        tmp_path / 'bag',
        Recording(duration_s=2.0, cameras=[Camera(TOP, start_s=1.5)], command_end_s=1.0),
    )
    message = refused(tmp_path, [bag], match='no step has every input')
    assert f'{TOP} 1.500..2.000 s' in message


def test_time_going_backwards_on_a_topic(tmp_path):
    bad = tmp_path / 'bad'
    with BagWriter(bad) as writer:
        ts = writer.typestore
        writer.add_topic(TOP, bm.IMAGE, SENSOR_DATA_QOS)
        writer.add_topic('/joint_states', bm.JOINT_STATE, SENSOR_DATA_QOS)
        for i, stamp_ms in enumerate(
            [0, 100, 200, 150, 300]
        ):  # logged in order, stamped out of order
            log = BASE_NS + i * 100_000_000
            writer.write(TOP, bm.image_message(ts, np.zeros((4, 4, 3), np.uint8), log, 'cam'), log)
            msg = bm.joint_state_message(
                ts, ['j1', 'j2'], [0.0, 0.0], [0.0, 0.0], BASE_NS + stamp_ms * 1_000_000
            )
            writer.write('/joint_states', msg, log)
    good = write_recording(tmp_path / 'good')  # converted first: still no partial dataset
    settings = ConversionSettings(image_topics=(TOP,), action_from='next_state', image_size=(4, 4))
    message = refused(
        tmp_path, [good, bad], settings, match='time goes backwards on /joint_states'
    )
    assert 'message 3' in message


def test_unknown_image_encoding(tmp_path, capsys):
    bag = write_recording(tmp_path / 'bag', Recording(cameras=[Camera(TOP, encoding='yuv422')]))
    err = cli_refused(tmp_path, capsys, bag)
    assert "'yuv422' is not supported" in err and f'{TOP} message 0' in err


def test_truncated_mcap(tmp_path, capsys):
    bag = write_recording(tmp_path / 'bag')
    mcap = storage_file(bag)
    with open(mcap, 'r+b') as f:
        f.truncate(mcap.stat().st_size * 2 // 3)  # as a recording killed mid-write leaves it
    err = cli_refused(tmp_path, capsys, bag)
    assert 'truncated or corrupt' in err and 'mcap recover' in err


def test_corrupt_sqlite3(tmp_path):
    good = write_recording(tmp_path / 'good', storage='sqlite3', distro='humble')
    bad = write_recording(tmp_path / 'bad', storage='sqlite3', distro='humble')
    db3 = storage_file(bad)
    data = bytearray(db3.read_bytes())
    data[:100] = bytes(100)  # the sqlite header
    db3.write_bytes(bytes(data))
    refused(tmp_path, [good, bad], match='truncated or corrupt')


def test_joint_names_changing_within_a_bag(tmp_path):
    bag = tmp_path / 'bag'
    with BagWriter(bag) as writer:
        ts = writer.typestore
        writer.add_topic(TOP, bm.IMAGE, SENSOR_DATA_QOS)
        writer.add_topic('/joint_states', bm.JOINT_STATE, SENSOR_DATA_QOS)
        for i in range(10):
            t = BASE_NS + i * 100_000_000
            writer.write(TOP, bm.image_message(ts, np.zeros((4, 4, 3), np.uint8), t, 'cam'), t)
            names = ['j1', 'j2'] if i < 5 else ['j1', 'gripper']
            writer.write(
                '/joint_states', bm.joint_state_message(ts, names, [0.0, 0.0], [0.0, 0.0], t), t
            )
    settings = ConversionSettings(image_topics=(TOP,), action_from='next_state')
    message = refused(tmp_path, [bag], settings, match='joint names on /joint_states change')
    assert 'message 5' in message and 'gripper' in message


def test_commands_must_match_the_joint_states(tmp_path):
    bag = write_recording(tmp_path / 'bag', Recording(command_joint_order=('j2', 'j1', 'j3')))
    refused(tmp_path, [bag], match=r"commands joints \['j3'\] that the joint states lack")


def test_joints_that_are_not_commanded_are_left_out_not_refused(tmp_path):
    # e.g. a gripper finger in /joint_states beside the arm the trajectory commands
    bag = write_recording(tmp_path / 'bag', Recording(command_joint_order=('j2',)))
    store, _ = convert_bags([bag], tmp_path / 'dataset', SETTINGS)
    assert store.meta.state_names == ('j2',) and store.meta.action_names == ('j2',)


def test_wrong_message_type_on_a_topic(tmp_path):
    bag = write_recording(tmp_path / 'bag')
    settings = ConversionSettings(
        image_topics=('/joint_states',), joint_state_topic=TOP, action_topic=COMMANDS
    )
    refused(tmp_path, [bag], settings, match='carries sensor_msgs/msg/JointState; expected')
