# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World demos as bags (`sim-demos --env metaworld:TASK --format bag`), then `dataset`.

The bags hold what the robot node publishes and takes; converted with the arguments their
demos.json names, they must give the dataset the store format writes of the same scenes,
step for step: the hand, the gripper, the objects and goal (now state joints, read from
/joint_states by name as a tracker's would be), the commanded targets and the frames.
"""

import importlib.util
import json

from imle_policy_ros.cli import main as cli
from imle_policy_ros.data.episode_store import EpisodeStore
import numpy as np
import pytest
from rosbags.rosbag2 import Reader

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec('metaworld') is None,
    reason='metaworld not installed (bash scripts/install_metaworld.sh)',
)

OBJECTS_AND_GOAL = [f'object_state_{i}' for i in range(14)] + [f'goal_{i}' for i in range(3)]
DEMOS = ['--env', 'metaworld:push', '-n', '2', '--seed', '3', '--image-size', '32']


@pytest.fixture(scope='module')
def recorded(tmp_path_factory):
    """Return (bag demos dir, its demos.json, the dataset from the bags, the store dataset)."""
    root = tmp_path_factory.mktemp('metaworld_bags')
    bags, store = root / 'bags', root / 'store'
    assert cli(['sim-demos', *DEMOS, '--format', 'bag', '-o', str(bags), '--no-progress']) == 0
    assert cli(['sim-demos', *DEMOS, '-o', str(store), '--no-progress']) == 0
    info = json.loads((bags / 'demos.json').read_text())
    converted = root / 'from_bags'
    assert cli(['dataset', str(bags), '-o', str(converted), *info['dataset_arguments']]) == 0
    return bags, info, EpisodeStore.open(converted), EpisodeStore.open(store)


def test_the_bags_hold_the_robot_nodes_topics(recorded):
    bags, info, _, _ = recorded
    assert info['task'] == 'metaworld:push-v3' and len(info['bags']) == 2
    assert [a['scene_seed'] for a in info['attempts'][:2]] == [30000, 30001]
    with Reader(bags / info['bags'][0]['name']) as bag:
        topics = {c.topic: c.msgtype for c in bag.connections}
    assert topics == {
        '/joint_states': 'sensor_msgs/msg/JointState',
        '/ee_pose': 'geometry_msgs/msg/PoseStamped',
        '/camera/corner3/image_raw': 'sensor_msgs/msg/Image',
        '/cartesian_motion_controller/target_frame': 'geometry_msgs/msg/PoseStamped',
        '/gripper_controller/commands': 'std_msgs/msg/Float64MultiArray',
    }
    arguments = info['dataset_arguments']  # the objects and goal are read as state joints
    joints = [arguments[i + 1] for i, a in enumerate(arguments) if a == '--state-joints']
    assert joints == OBJECTS_AND_GOAL


def test_bags_convert_to_the_dataset_of_the_same_scenes(recorded):
    _, _, from_bags, store = recorded
    assert from_bags.meta.state_names[4:] == tuple(OBJECTS_AND_GOAL)
    assert from_bags.meta.ee_layout.gripper == store.meta.ee_layout.gripper
    assert from_bags.meta.ee_layout.base_frame == 'world'
    assert from_bags.meta.rate_hz == store.meta.rate_hz == 80.0
    for i in range(2):
        bag, stored = from_bags.episode(i), store.episode(i)
        n = len(bag)
        assert len(stored) - 1 <= n <= len(stored)  # the last step may end with the bag
        expected = np.concatenate(
            [stored.states, stored.extras['object_state'], stored.extras['goal']], axis=1
        )[:n]
        np.testing.assert_allclose(bag.states, expected, atol=1e-6)
        np.testing.assert_allclose(bag.actions, stored.actions[:n], atol=1e-6)
        np.testing.assert_array_equal(bag.images['corner3'], stored.images['corner3'][:n])
        np.testing.assert_allclose(np.diff(bag.stamps), 1 / 80.0)


def test_a_state_only_conversion_takes_no_image_topic(recorded, tmp_path, capsys):
    bags, info, _, _ = recorded
    arguments = list(info['dataset_arguments'])
    image = arguments.index('--image-topic')
    state_only = [a for i, a in enumerate(arguments) if i not in (image, image + 1)]
    state_only.append('--state-only')
    assert cli(['dataset', str(bags), '-o', str(tmp_path / 'd'), *state_only]) == 0
    assert EpisodeStore.open(tmp_path / 'd').meta.cameras == ()
    capsys.readouterr()
    # --state-only with an image topic, and no image topic without it, are both refused
    assert cli(['dataset', str(bags), '-o', str(tmp_path / 'e'), *arguments, '--state-only']) == 1
    assert 'a state-only dataset takes no image topics' in capsys.readouterr().err
    assert cli(['dataset', str(bags), '-o', str(tmp_path / 'f'), *state_only[:-1]]) == 1
    assert 'or --state-only' in capsys.readouterr().err


RELATIVE = ['object_state_0', 'object_state_1', 'object_state_2', 'goal_0', 'goal_1', 'goal_2']
TINY = ['--state-only', '--steps', '3', '--batch-size', '8', '-m', '4', '--down-dims', '16', '32']
TINY += ['--threads', '1', '--no-progress']


def test_a_hand_relative_policy_sees_in_serving_what_it_saw_in_training(recorded, tmp_path):
    from imle_policy_ros.learning.windows import ChunkWindows
    from imle_policy_ros.runtime import load_bundle, OnnxPolicy
    from imle_policy_ros.runtime.policy_spec import BundleError, PolicySpec

    _, _, from_bags, _ = recorded
    run, bundle_dir = tmp_path / 'run', tmp_path / 'bundle'
    argv = ['train', str(from_bags.root), '-o', str(run), *TINY, '--relative-to-ee', *RELATIVE]
    assert cli(argv) == 0
    assert cli(['export', str(run / 'checkpoints' / 'latest.pt'), '-o', str(bundle_dir)]) == 0
    bundle = load_bundle(bundle_dir)
    spec = bundle.spec
    assert spec.relative_to_ee == tuple(RELATIVE)
    layout = spec.ee_layout
    windows = ChunkWindows(
        from_bags, 2, spec.pred_horizon, spec.action_horizon, ee_layout=layout, cameras=(),
        relative_to_ee=RELATIVE,
    )  # fmt: skip
    # The statistics were fitted on offsets from the hand: the goal's y offset spans
    # tens of centimetres, while the goal itself never moves within an episode.
    goal_y = spec.state_names.index('goal_1')
    assert spec.state_stats.to_dict() == windows.state_stats.to_dict()
    episode = from_bags.episode(0)
    raw = episode.states[10:12]
    condition = OnnxPolicy(bundle, seed=0).condition(np.zeros((2, 0, 0)), raw)
    window = int(np.flatnonzero((windows._indices[:, :2] == [10, 11]).all(axis=1))[0])
    np.testing.assert_allclose(condition.reshape(2, -1), windows[window]['state'], atol=1e-6)
    offset = raw[:, goal_y] - raw[:, 1]
    np.testing.assert_allclose(
        spec.state_stats.unnormalize(condition.reshape(2, -1))[:, goal_y], offset, atol=1e-5
    )

    # A bundle whose relative_to_ee names no state is refused at load, by name.
    tampered = json.loads((bundle_dir / 'policy.json').read_text())
    tampered['state']['relative_to_ee'] = ['goal_0', 'goal_1', 'goal_9']
    with pytest.raises(BundleError, match=r"\['goal_9'\], which are not in the state"):
        PolicySpec.from_dict(tampered)
    # and so is a training run asking for something that is not a position triple
    bad = ['train', str(from_bags.root), '-o', str(tmp_path / 'bad'), *TINY]
    assert cli(bad + ['--relative-to-ee', 'goal_0', 'goal_1']) == 1
