# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""End-effector and grasp demonstrations from the simulator: datasets and bags."""

from __future__ import annotations

import json

from imle_policy_ros.cli import main
from imle_policy_ros.data import EpisodeStore
from imle_policy_ros.data.bag_messages import pose_of
from imle_policy_ros.data.bag_reader import read_topics, TopicRequest
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.sim import (
    CAMERA_NAME,
    DemoConfig,
    draw_episodes,
    forward_kinematics,
    generate_demos,
)
from imle_policy_ros.sim.bag_demos import generate_bag_demos
from imle_policy_ros.sim.reach_task import TARGET_RADIUS
from imle_policy_ros.sim.sim_topics import (
    CAMERA_TOPIC,
    EE_POSE_TOPIC,
    GRIPPER_COMMAND_TOPIC,
    JOINT_STATE_TOPIC,
    TARGET_FRAME_TOPIC,
    TF_TOPIC,
    TRAJECTORY_TOPIC,
)
import numpy as np
import pytest

SEED, EPISODES, SIZE = 4, 3, 32
GRASP_EE = DemoConfig(task='reach_and_grasp', action_space='ee_pose', image_size=SIZE)
EXPECTED_LAYOUT = EePoseLayout(
    'base_link',
    'tool0',
    rotation='none',
    reference='absolute',
    gripper=GripperSpec('gripper_finger', open_position=0.04, closed_position=0.0),
)


@pytest.fixture(scope='module')
def grasp_store(tmp_path_factory):
    out = tmp_path_factory.mktemp('ee') / 'demos'
    return generate_demos(EPISODES, out, seed=SEED, demos=GRASP_EE, progress=False)


def test_ee_dataset_declares_its_layout_and_extras(grasp_store):
    meta = EpisodeStore.open(grasp_store.root).meta  # as read back from meta.json
    assert meta.action_kind == 'ee_pose' and meta.ee_layout == EXPECTED_LAYOUT
    assert meta.state_names == ('ee_x', 'ee_y', 'ee_z', 'gripper')
    assert meta.action_names == ('x', 'y', 'z', 'gripper')
    assert meta.extras == {'joint_positions': (2,), 'target_xy': (2,)}
    assert meta.camera_names == (CAMERA_NAME,)
    assert meta.source['task'] == 'reach_and_grasp' and meta.source['action_space'] == 'ee_pose'
    assert meta.source['episode_sides'] == [s for _, s in draw_episodes(EPISODES, SEED)]


def test_ee_states_and_actions_agree_and_the_gripper_closes_once_at_the_target(grasp_store):
    layout = grasp_store.meta.ee_layout
    for i, (scene, _) in enumerate(draw_episodes(EPISODES, SEED)):
        ep = grasp_store.episode(i)
        length = len(ep)
        assert ep.images[CAMERA_NAME].shape == (length, SIZE, SIZE, 3)
        np.testing.assert_allclose(np.diff(ep.stamps), 0.1)
        joints, target_xy = ep.extras['joint_positions'], ep.extras['target_xy']
        assert joints.shape == (length, 2) and target_xy.shape == (length, 2)
        np.testing.assert_allclose(target_xy, np.tile(scene.target_xy, (length, 1)))
        # States: the measured tool pose of the recorded joints, flat on the table.
        np.testing.assert_allclose(ep.states[:, :2], forward_kinematics(joints), atol=1e-6)
        assert np.all(ep.states[:, 2] == 0) and np.all(ep.actions[:, 2] == 0)
        poses, gripper = layout.decode(ep.actions)
        np.testing.assert_allclose(poses[:, 3:], np.tile([0, 0, 0, 1.0], (length, 1)))
        # Every target was reached within its step: the next state is this step's target.
        np.testing.assert_allclose(ep.states[1:, :2], ep.actions[:-1, :2], atol=1e-6)
        # The command is 0 (open) or 1 (closed) and closes exactly once, on the target.
        assert set(np.unique(gripper)) == {0.0, 1.0}
        closes = np.flatnonzero(np.diff(gripper) != 0)
        assert len(closes) == 1 and gripper[-1] == 1.0
        k = closes[0] + 1
        assert np.linalg.norm(ep.states[k, :2] - scene.target_xy) <= TARGET_RADIUS
        assert np.all(ep.states[:k, 3] == 0)  # measured open until the command to close
        assert ep.states[-1, 3] == 1.0  # and closed at the end
        np.testing.assert_array_equal(ep.actions[-1], ep.actions[-2])  # holding still


def test_reach_task_ee_demos_keep_the_gripper_open(tmp_path):
    demos = DemoConfig(action_space='ee_pose', image_size=16)
    store = generate_demos(2, tmp_path / 'reach', seed=SEED, demos=demos, progress=False)
    assert store.meta.source['task'] == 'reach_around_obstacle'
    for i in range(2):
        ep = store.episode(i)
        assert np.all(ep.actions[:, 3] == 0) and np.all(ep.states[:, 3] == 0)


def test_grasp_joint_demos_add_the_finger_as_a_joint(tmp_path):
    demos = DemoConfig(task='reach_and_grasp', image_size=16)
    store = generate_demos(1, tmp_path / 'joint', seed=SEED, demos=demos, progress=False)
    meta = store.meta
    assert meta.action_kind == 'joint_position' and meta.ee_layout is None
    assert meta.state_names == meta.action_names == ('shoulder', 'elbow', 'gripper_finger')
    ep = store.episode(0)
    assert set(np.unique(ep.actions[:, 2])) == {0.0, np.float32(0.04)}
    np.testing.assert_allclose(ep.states[1:, :2], ep.actions[:-1, :2], atol=1e-6)
    assert ep.states[-1, 2] == 0.0


def test_sim_demos_cli_offers_task_and_action_space(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(['sim-demos', '--help'])
    text = capsys.readouterr().out
    assert '--task {reach_around_obstacle,reach_and_grasp}' in text
    assert '--action-space {joint_position,ee_pose}' in text
    out = tmp_path / 'cli'
    args = ['-n', '1', '-o', str(out), '--image-size', '16', '--no-progress']
    assert (
        main(['sim-demos', *args, '--task', 'reach_and_grasp', '--action-space', 'ee_pose']) == 0
    )
    assert EpisodeStore.open(out).meta.ee_layout == EXPECTED_LAYOUT
    with pytest.raises(SystemExit):  # argparse refuses a task it does not know
        main(['sim-demos', *args, '--overwrite', '--task', 'grasp'])
    assert "invalid choice: 'grasp'" in capsys.readouterr().err


# ---- bags -------------------------------------------------------------------------------
def _keep(msgtype, msg):
    return msg


WANTED = {
    topic: TopicRequest((msgtype,), _keep)
    for topic, msgtype in (
        (CAMERA_TOPIC, 'sensor_msgs/msg/Image'),
        (JOINT_STATE_TOPIC, 'sensor_msgs/msg/JointState'),
        (EE_POSE_TOPIC, 'geometry_msgs/msg/PoseStamped'),
        (TF_TOPIC, 'tf2_msgs/msg/TFMessage'),
        (TARGET_FRAME_TOPIC, 'geometry_msgs/msg/PoseStamped'),
        (GRIPPER_COMMAND_TOPIC, 'std_msgs/msg/Float64MultiArray'),
    )
}


@pytest.fixture(scope='module')
def grasp_bags(tmp_path_factory):
    out = tmp_path_factory.mktemp('ee_bags') / 'bags'
    info = generate_bag_demos(2, out, seed=SEED, settings=GRASP_EE, progress=False)
    return out, info


def test_ee_bags_hold_the_teleop_topics_with_their_frames(grasp_bags):
    out, info = grasp_bags
    assert json.loads((out / 'demos.json').read_text()) == info
    assert info['task'] == 'reach_and_grasp' and info['action_space'] == 'ee_pose'
    assert info['topics']['commands'] == TARGET_FRAME_TOPIC
    for b, (scene, _) in zip(info['bags'], draw_episodes(2, SEED)):
        series = read_topics(out / b['name'], WANTED)
        joint_states = series[JOINT_STATE_TOPIC].payloads
        assert all(list(m.name) == ['shoulder', 'elbow', 'gripper_finger'] for m in joint_states)
        measured = series[EE_POSE_TOPIC].payloads
        assert {m.header.frame_id for m in measured} == {'base_link'}
        tfs = series[TF_TOPIC].payloads
        assert {(t.header.frame_id, t.child_frame_id) for m in tfs for t in m.transforms} == {
            ('base_link', 'tool0')
        }
        assert len(measured) == len(tfs) == len(joint_states)
        # /tf and /ee_pose say the same, and agree with the joints.
        for pose_msg, tf_msg, js in zip(measured, tfs, joint_states):
            pose = pose_of(pose_msg.pose)
            np.testing.assert_array_equal(pose, pose_of(tf_msg.transforms[0].transform))
            np.testing.assert_allclose(pose[:2], forward_kinematics(js.position[:2]), atol=1e-12)
        targets = series[TARGET_FRAME_TOPIC].payloads
        assert {m.header.frame_id for m in targets} == {'base_link'}
        fingers = [list(m.data) for m in series[GRIPPER_COMMAND_TOPIC].payloads]
        assert len(targets) == len(fingers) == b['steps']
        assert {f[0] for f in fingers} == {0.04, 0.0} and fingers[-1] == [0.0]
        closing = next(i for i, f in enumerate(fingers) if f == [0.0])
        assert all(f == [0.04] for f in fingers[:closing])  # closed once, never reopened
        assert all(f == [0.0] for f in fingers[closing:])
        # Closed where the target was: on it, and the finger closed in the last joint state.
        last_target = pose_of(targets[closing].pose)
        assert np.linalg.norm(last_target[:2] - scene.target_xy) <= TARGET_RADIUS
        assert joint_states[-1].position[2] == 0.0
        assert np.linalg.norm(pose_of(measured[-1].pose)[:2] - scene.target_xy) <= 1e-6
        frame_ids = {m.header.frame_id for m in series[CAMERA_TOPIC].payloads}
        assert frame_ids == {'camera_top_optical_frame'}


def test_grasp_joint_bags_use_the_trajectory_topic(tmp_path):
    settings = DemoConfig(
        task='reach_and_grasp', image_size=16, storage='sqlite3', distro='humble'
    )
    info = generate_bag_demos(1, tmp_path / 'bags', seed=SEED, settings=settings, progress=False)
    assert info['topics']['commands'] == TRAJECTORY_TOPIC
    wanted = {
        TRAJECTORY_TOPIC: TopicRequest(('trajectory_msgs/msg/JointTrajectory',), _keep),
        GRIPPER_COMMAND_TOPIC: WANTED[GRIPPER_COMMAND_TOPIC],
        EE_POSE_TOPIC: WANTED[EE_POSE_TOPIC],
    }
    series = read_topics(tmp_path / 'bags' / info['bags'][0]['name'], wanted)
    trajectories = series[TRAJECTORY_TOPIC].payloads
    assert all(list(m.joint_names) == ['shoulder', 'elbow'] for m in trajectories)
    assert len(series[GRIPPER_COMMAND_TOPIC].payloads) == len(trajectories)
