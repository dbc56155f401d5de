# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The simulated arm's controllers: JointTrajectoryController and forward_position_controller."""

from __future__ import annotations

from imle_policy_ros.sim.command_follower import CommandFollower, CommandRefused
import numpy as np
import pytest

JOINTS = ('shoulder', 'elbow')


def follower(start=(0.0, 0.0)) -> CommandFollower:
    return CommandFollower(JOINTS, start)


def test_holds_the_start_position_before_any_command():
    f = follower((0.5, -1.0))
    np.testing.assert_array_equal(f.target(0.0), [0.5, -1.0])
    np.testing.assert_array_equal(f.target(100.0), [0.5, -1.0])


def test_trajectory_starts_from_the_current_target_and_interpolates_linearly():
    f = follower((0.0, 1.0))
    f.follow_trajectory(10.0, JOINTS, [1.0, 3.0], [[2.0, 1.0], [2.0, -3.0]])
    np.testing.assert_allclose(f.target(10.0), [0.0, 1.0])
    np.testing.assert_allclose(f.target(10.5), [1.0, 1.0])
    np.testing.assert_allclose(f.target(11.0), [2.0, 1.0])
    np.testing.assert_allclose(f.target(12.0), [2.0, -1.0])
    np.testing.assert_allclose(f.target(13.0), [2.0, -3.0])


def test_last_point_is_held():
    f = follower()
    f.follow_trajectory(0.0, JOINTS, [0.5], [[1.0, 2.0]])
    np.testing.assert_allclose(f.target(0.5), [1.0, 2.0])
    np.testing.assert_allclose(f.target(50.0), [1.0, 2.0])


def test_new_trajectory_midway_starts_from_where_the_old_one_was():
    f = follower((0.0, 0.0))
    f.follow_trajectory(0.0, JOINTS, [2.0], [[4.0, -2.0]])
    f.follow_trajectory(1.0, JOINTS, [1.0], [[0.0, 0.0]])  # at t=1 the old one was at (2, -1)
    np.testing.assert_allclose(f.target(1.0), [2.0, -1.0])
    np.testing.assert_allclose(f.target(1.5), [1.0, -0.5])
    np.testing.assert_allclose(f.target(2.0), [0.0, 0.0])
    np.testing.assert_allclose(f.target(3.0), [0.0, 0.0])  # the old trajectory is gone


def test_joints_are_matched_by_name():
    f = follower((0.0, 0.0))
    f.follow_trajectory(0.0, ('elbow', 'shoulder'), [1.0], [[-1.0, 3.0]])
    np.testing.assert_allclose(f.target(1.0), [3.0, -1.0])  # target is in the arm's order


def unchanged_after(f: CommandFollower, action) -> None:
    before = [f.target(t) for t in (0.0, 0.75, 1.5, 5.0)]
    with pytest.raises(CommandRefused):
        action()
    after = [f.target(t) for t in (0.0, 0.75, 1.5, 5.0)]
    np.testing.assert_array_equal(before, after)


def moving_follower() -> CommandFollower:
    f = follower((0.0, 0.0))
    f.follow_trajectory(0.0, JOINTS, [1.0, 2.0], [[1.0, 1.0], [2.0, 0.0]])
    return f


@pytest.mark.parametrize(
    'names, times, positions',
    [
        (('shoulder', 'wrist'), [1.0], [[1.0, 1.0]]),  # other joints
        (('shoulder',), [1.0], [[1.0]]),  # a joint missing
        (('shoulder', 'elbow', 'wrist'), [1.0], [[1.0, 1.0, 1.0]]),  # an extra joint
        (('shoulder', 'shoulder'), [1.0], [[1.0, 1.0]]),  # a joint twice
        (JOINTS, [1.0], [[1.0, 1.0, 1.0]]),  # wrong number of values
        (JOINTS, [1.0], [1.0, 1.0]),  # not a list of points
        (JOINTS, [1.0, 2.0], [[1.0, 1.0]]),  # times and points differ in count
        (JOINTS, [], np.zeros((0, 2))),  # no points
        (JOINTS, [0.0, 1.0], [[1.0, 1.0], [2.0, 2.0]]),  # a point at time zero
        (JOINTS, [-1.0], [[1.0, 1.0]]),  # negative time
        (JOINTS, [1.0, 1.0], [[1.0, 1.0], [2.0, 2.0]]),  # not strictly increasing
        (JOINTS, [2.0, 1.0], [[1.0, 1.0], [2.0, 2.0]]),  # decreasing
        (JOINTS, [1.0, float('nan')], [[1.0, 1.0], [2.0, 2.0]]),  # NaN time
        (JOINTS, [1.0, float('inf')], [[1.0, 1.0], [2.0, 2.0]]),  # infinite time
        (JOINTS, [1.0], [[float('nan'), 1.0]]),  # NaN position
        (JOINTS, [1.0], [[1.0, float('inf')]]),  # infinite position
    ],
)
def test_refused_trajectories_change_nothing(names, times, positions):
    f = moving_follower()
    unchanged_after(f, lambda: f.follow_trajectory(0.5, names, times, positions))


def test_refusal_message_names_the_joints():
    with pytest.raises(CommandRefused, match='wrist'):
        follower().follow_trajectory(0.0, ('shoulder', 'wrist'), [1.0], [[1.0, 1.0]])


def test_follow_positions_sets_the_target_at_once():
    f = moving_follower()
    f.follow_positions(0.5, [0.25, -0.75])
    np.testing.assert_allclose(f.target(0.5), [0.25, -0.75])
    np.testing.assert_allclose(f.target(10.0), [0.25, -0.75])
    # a trajectory after it starts from there
    f.follow_trajectory(1.0, JOINTS, [1.0], [[1.25, 0.25]])
    np.testing.assert_allclose(f.target(1.5), [0.75, -0.25])


@pytest.mark.parametrize('positions', [[1.0], [1.0, 2.0, 3.0], [float('nan'), 0.0]])
def test_refused_position_commands_change_nothing(positions):
    f = moving_follower()
    unchanged_after(f, lambda: f.follow_positions(0.5, positions))


def test_hold_stops_at_the_given_position():
    f = moving_follower()
    f.hold([3.0, 4.0], 0.5)
    np.testing.assert_array_equal(f.target(0.5), [3.0, 4.0])
    np.testing.assert_array_equal(f.target(2.0), [3.0, 4.0])


def test_hold_copies_its_input():
    start = np.array([1.0, 2.0])
    f = CommandFollower(JOINTS, start)
    start[:] = 9.0
    np.testing.assert_array_equal(f.target(0.0), [1.0, 2.0])
