# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The end-effector layout: names, the relative rule both ways, and what a bundle declares."""

import dataclasses

from imle_policy_ros.runtime import rotations as rot
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
import numpy as np
import pytest

GRIPPER = GripperSpec('finger', open_position=0.04, closed_position=0.0)


def random_poses(n, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n, 4))
    return np.concatenate([rng.uniform(-1, 1, (n, 3)), q / np.linalg.norm(q, axis=1)[:, None]], 1)


def same_poses(a, b, atol=1e-9):
    np.testing.assert_allclose(a[:, :3], b[:, :3], atol=atol)
    assert np.max(rot.angle_between(a[:, 3:], b[:, 3:])) < 1e-6


def test_names_follow_what_is_learned():
    full = EePoseLayout('base', 'tool', gripper=GRIPPER, state_joints=('j1',))
    assert full.action_names[:3] == ('x', 'y', 'z') and full.action_names[-1] == 'gripper'
    assert len(full.action_names) == 10 and full.gripper_index == 9
    assert full.state_names[-2:] == ('gripper', 'j1') and full.state_names[0] == 'ee_x'
    flat = EePoseLayout('base', 'tool', rotation='none')
    assert flat.action_names == ('x', 'y', 'z') and flat.gripper_index is None


@pytest.mark.parametrize('rotation', ['6d', 'none'])
@pytest.mark.parametrize('reference', ['absolute', 'relative'])
def test_encode_then_decode_gives_the_targets_back(rotation, reference):
    layout = EePoseLayout('base', 'tool', rotation=rotation, reference=reference, gripper=GRIPPER)
    targets, at = random_poses(16, 1), random_poses(1, 2)[0]
    if rotation == 'none':
        targets[:, 3:] = layout.fixed_orientation
    gripper = np.linspace(0, 1, 16)
    actions = layout.encode(targets, gripper, at)
    assert actions.shape == (16, len(layout.action_names))
    poses, g = layout.decode(actions, at)
    same_poses(poses, targets)
    np.testing.assert_allclose(g, gripper)


def test_relative_actions_start_at_zero_and_do_not_depend_on_where_the_arm_is():
    layout = EePoseLayout('base', 'tool', reference='relative')
    at = random_poses(1, 3)[0]
    at_identity = np.array([0, 0, 0, 0, 0, 0, 1.0])
    motion = np.array(
        [[0.01 * k, 0, 0, *rot.from_rotation_vector([0, 0, 0.02 * k])] for k in range(5)]
    )
    here = layout.encode(rot.compose(at, motion), at_pose=at)
    np.testing.assert_allclose(
        here[0], layout.encode(at_identity[None], at_pose=at_identity)[0], atol=1e-9
    )
    # the same motion (in the tool's frame) from another start: the same rotation part
    there_start = random_poses(1, 4)[0]
    there = layout.encode(rot.compose(there_start, motion), at_pose=there_start)
    np.testing.assert_allclose(here[:, 3:], there[:, 3:], atol=1e-9)


def test_relative_to_turns_stored_absolute_actions_into_learned_ones():
    layout = EePoseLayout('base', 'tool', reference='relative', gripper=GRIPPER)
    targets, at = random_poses(6, 5), random_poses(1, 6)[0]
    stored = layout.absolute().encode(targets, np.ones(6))
    np.testing.assert_allclose(
        layout.relative_to(stored, at), layout.encode(targets, np.ones(6), at)
    )


def test_state_holds_the_pose_and_gives_it_back():
    layout = EePoseLayout('base', 'tool', gripper=GRIPPER, state_joints=('j1', 'j2'))
    poses = random_poses(4, 7)
    state = layout.state(poses, np.zeros(4), np.ones((4, 2)))
    assert state.shape == (4, len(layout.state_names))
    same_poses(layout.pose_of_state(state), poses)


def test_a_degenerate_rotation_output_is_refused_not_executed():
    layout = EePoseLayout('base', 'tool', reference='absolute')
    with pytest.raises(ValueError, match='rotation'):
        layout.decode(np.zeros((1, 9)))


def test_json_round_trip_and_a_tampered_name_list_is_refused():
    layout = EePoseLayout(
        'base', 'tool', rotation='none', fixed_orientation=(0, 1, 0, 0), gripper=GRIPPER
    )
    assert EePoseLayout.from_dict(layout.to_dict()) == layout
    d = layout.to_dict()
    d['action_names'] = ['x', 'y']
    with pytest.raises(ValueError, match='action_names'):
        EePoseLayout.from_dict(d)


@pytest.mark.parametrize(
    'change, problem',
    [
        ({'base_frame': ''}, 'must be named'),
        ({'rotation': 'euler'}, 'rotation'),
        ({'reference': 'delta'}, 'reference'),
        ({'fixed_orientation': (0, 0, 0, 2)}, 'unit length'),
    ],
)
def test_bad_layouts_are_refused_by_name(change, problem):
    with pytest.raises(ValueError, match=problem):
        dataclasses.replace(EePoseLayout('base', 'tool'), **change)


def test_gripper_spec_maps_both_ways_and_refuses_nonsense():
    assert GRIPPER.normalize(0.04) == 0.0 and GRIPPER.normalize(0.0) == 1.0
    assert GRIPPER.normalize(0.05) == 0.0  # clipped
    np.testing.assert_allclose(GRIPPER.position(0.5), 0.02)
    with pytest.raises(ValueError, match='both 0.01'):
        GripperSpec(open_position=0.01, closed_position=0.01)


def test_consistency_weights_give_each_group_the_same_say():
    weights = EePoseLayout('base', 'tool', gripper=GRIPPER).consistency_weights()
    np.testing.assert_allclose([weights[:3].sum(), weights[3:9].sum(), weights[9]], 1.0)
