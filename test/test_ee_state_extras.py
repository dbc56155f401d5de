# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
An end-effector policy whose state goes beyond its layout (objects a tracker reports).

The names past the layout's are read by name like joints, after the gripper and the extra
joints, and appended to the layout's state in the spec's order; a spec whose state does not
begin with its layout's names is refused.
"""

import dataclasses

from bundle_factory import make_spec
from imle_policy_ros.control.low_dim_state import history_joints, state_of
from imle_policy_ros.control.observation_history import Observation
from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.runtime.normalization import MinMaxStats
import numpy as np
import pytest

LAYOUT = EePoseLayout(
    'world', 'hand', rotation='none', gripper=GripperSpec('finger', 0.0, 0.04),
    fixed_orientation=(0.0, 0.0, 0.0, 1.0),
)  # fmt: skip
OBJECTS = ('puck_x', 'puck_y')


def spec_with_objects(state_names=None):
    spec = make_spec(cameras=(), ee_layout=LAYOUT)
    names = spec.state_names + OBJECTS if state_names is None else state_names
    lo = np.full(len(names), -1.0, dtype=np.float32)
    return dataclasses.replace(spec, state_names=names, state_stats=MinMaxStats(lo, lo + 2.0))


def test_the_objects_are_read_after_the_gripper_and_appended_to_the_state():
    spec = spec_with_objects()
    spec.check()
    assert spec.extra_state_names == OBJECTS
    assert history_joints(spec) == ('finger', *OBJECTS)
    pose = np.array([0.1, 0.2, 0.3, 0.0, 0.0, 0.0, 1.0])
    observation = Observation(
        t_obs=0.0,
        features=np.zeros((2, 0, 0)),
        joint_positions=np.array([[0.0, 0.5, 0.6], [0.04, 0.7, 0.8]]),  # finger, puck x y
        ee_poses=np.stack([pose, pose]),
    )
    state = state_of(spec, observation)
    np.testing.assert_allclose(state[:, :3], [pose[:3], pose[:3]])
    np.testing.assert_allclose(state[:, 3], [0.0, 1.0])  # the gripper, open .. closed
    np.testing.assert_allclose(state[:, 4:], [[0.5, 0.6], [0.7, 0.8]])


def test_a_state_that_does_not_begin_with_the_layout_is_refused():
    spec = spec_with_objects()
    shuffled = spec_with_objects(OBJECTS + spec.state_names[: -len(OBJECTS)])
    with pytest.raises(ValueError, match='do not begin with those of its ee_layout'):
        shuffled.check()
