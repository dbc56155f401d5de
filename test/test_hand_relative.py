# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The rule that turns state positions into offsets from the end effector."""

from imle_policy_ros.runtime.hand_relative import (
    NotHandRelative,
    relative_indices,
    relative_problems,
    to_hand_relative,
)
import numpy as np
import pytest

STATE = ('ee_x', 'ee_y', 'ee_z', 'gripper', 'cube_x', 'cube_y', 'cube_z', 'goal_x', 'goal_y')
STATE += ('goal_z', 'cube_qw')


def test_each_triple_becomes_its_offset_from_the_hand_and_nothing_else_moves():
    indices = relative_indices(STATE, ('cube_x', 'cube_y', 'cube_z', 'goal_x', 'goal_y', 'goal_z'))
    assert indices.tolist() == [[4, 5, 6], [7, 8, 9]]
    states = np.arange(2 * 3 * len(STATE), dtype=np.float32).reshape(2, 3, len(STATE))
    out = to_hand_relative(states, indices)
    np.testing.assert_array_equal(out[..., 4:7], states[..., 4:7] - states[..., :3])
    np.testing.assert_array_equal(out[..., 7:10], states[..., 7:10] - states[..., :3])
    np.testing.assert_array_equal(out[..., [0, 1, 2, 3, 10]], states[..., [0, 1, 2, 3, 10]])
    assert out.dtype == np.float32 and states[0, 0, 4] == 4.0  # the input is untouched


def test_moving_hand_and_objects_together_leaves_the_offsets_unchanged():
    indices = relative_indices(STATE, ('cube_x', 'cube_y', 'cube_z'))
    state = np.random.default_rng(0).normal(size=len(STATE))
    shifted = state.copy()
    shifted[[0, 1, 2]] += [0.3, -0.2, 0.1]
    shifted[[4, 5, 6]] += [0.3, -0.2, 0.1]
    np.testing.assert_allclose(
        to_hand_relative(state, indices)[4:7], to_hand_relative(shifted, indices)[4:7]
    )


@pytest.mark.parametrize(
    'state, relative, problem',
    [
        (('shoulder', 'elbow', 'wrist', 'cube_x'), ('cube_x',), 'need its position in the state'),
        (STATE, ('cube_x', 'cube_y'), 'x, y, z triples'),
        (STATE, ('cube_x', 'cube_y', 'cube_w'), "['cube_w'], which are not in the state"),
        (STATE, ('cube_x', 'cube_x', 'cube_y'), 'names a dimension twice'),
        (STATE, ('ee_x', 'ee_y', 'ee_z'), 'the end effector itself'),
    ],
)
def test_what_is_not_a_position_triple_of_an_end_effector_state_is_refused(
    state, relative, problem
):
    assert any(problem in p for p in relative_problems(state, relative))
    with pytest.raises(NotHandRelative, match=problem.replace('[', r'\[').replace(']', r'\]')):
        relative_indices(state, relative)
    assert relative_problems(state, ()) == []
