# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""CartesianExecutor on simulated time: SLERP, lateness, speed limits, workspace, blending."""

from imle_policy_ros.control.cartesian_executor import (
    CartesianExecutor,
    CartesianLimits,
    PoseChunk,
    turn_angle,
)
from imle_policy_ros.runtime import rotations
import numpy as np
import pytest

DT = 0.02  # 50 Hz
LOWER, UPPER = [-1.0, -1.0, 0.0], [1.0, 1.0, 1.5]
LIMITS = CartesianLimits(LOWER, UPPER, max_linear_speed=0.5, max_angular_speed=1.0)
FAST = CartesianLimits(LOWER, UPPER, max_linear_speed=100.0, max_angular_speed=100.0)


def about(axis, angle):
    """Return the quaternion of a turn by angle (rad) about axis."""
    axis = np.asarray(axis, dtype=np.float64)
    return rotations.from_rotation_vector(axis / np.linalg.norm(axis) * angle)


def pose(position, q=(0.0, 0.0, 0.0, 1.0)):
    return np.concatenate([np.asarray(position, dtype=np.float64), np.asarray(q, float)])


def line_chunk(t0, start, velocity, n=20, step=0.1, q=(0.0, 0.0, 0.0, 1.0), spin=0.0):
    """Return a chunk moving at `velocity` (m/s) and turning at `spin` (rad/s about z)."""
    times = t0 + step * np.arange(n)
    poses = [
        pose(
            np.asarray(start) + np.asarray(velocity) * (t - t0),
            rotations.multiply(about([0, 0, 1], spin * (t - t0)), q),
        )
        for t in times
    ]
    return PoseChunk(times, np.array(poses), t_obs=t0)


def run(executor, t0, t1):
    ticks = t0 + DT * np.arange(round((t1 - t0) / DT) + 1)
    return ticks, np.array([executor.command(float(t)) for t in ticks])


def test_slerp_midpoint_of_a_quarter_turn_is_an_eighth_turn():
    chunk = PoseChunk(
        [0.0, 1.0], [pose([0, 0, 0]), pose([0.2, 0.4, 0.6], about([0, 0, 1], np.pi / 2))], 0.0
    )
    mid = chunk.pose_at(0.5)
    np.testing.assert_allclose(mid[:3], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(mid[3:], about([0, 0, 1], np.pi / 4), atol=1e-12)
    assert turn_angle(rotations.IDENTITY_QUATERNION, mid[3:]) == pytest.approx(np.pi / 4)


def test_a_chunk_holds_its_ends_and_never_extrapolates():
    chunk = line_chunk(1.0, [0, 0, 0.5], [0.1, 0, 0], n=5)
    np.testing.assert_allclose(chunk.pose_at(0.0), chunk.poses[0])
    np.testing.assert_allclose(chunk.pose_at(99.0), chunk.poses[-1])
    executor = CartesianExecutor(FAST, blend_time=0.0)
    executor.start_from(chunk.poses[0], 1.0)
    executor.switch_to(chunk, 1.0)
    _, commands = run(executor, 1.0, 3.0)
    assert executor.chunk_finished(3.0) and not executor.chunk_finished(1.2)
    np.testing.assert_allclose(commands[-30:], np.repeat(chunk.poses[-1:], 30, axis=0))
    assert commands[:, 0].max() == pytest.approx(chunk.poses[-1, 0])


def test_gripper_values_are_interpolated_linearly():
    chunk = PoseChunk([0.0, 1.0], [pose([0, 0, 0])] * 2, 0.0, gripper=[0.0, 1.0])
    assert chunk.gripper_at(0.25) == pytest.approx(0.25)
    assert chunk.gripper_at(-1.0) == 0.0 and chunk.gripper_at(5.0) == 1.0
    assert PoseChunk([0.0], [pose([0, 0, 0])], 0.0).gripper_at(0.5) is None


def test_bad_chunks_are_refused():
    with pytest.raises(ValueError, match='strictly increasing'):
        PoseChunk([0.0, 0.0], [pose([0, 0, 0])] * 2, 0.0)
    with pytest.raises(ValueError, match='poses'):
        PoseChunk([0.0, 1.0], [pose([0, 0, 0])], 0.0)
    with pytest.raises(ValueError, match='unit length'):
        PoseChunk([0.0], [pose([0, 0, 0], (0, 0, 0, 2))], 0.0)
    with pytest.raises(ValueError, match='gripper'):
        PoseChunk([0.0, 1.0], [pose([0, 0, 0])] * 2, 0.0, gripper=[0.0])


@pytest.mark.parametrize(
    'kwargs, message',
    [
        ({'workspace_upper': [1, 1, 0]}, 'below workspace_upper'),
        ({'workspace_lower': [0, 0]}, '3 values'),
        ({'workspace_upper': [1, np.inf, 1]}, 'finite'),
        ({'max_linear_speed': 0.0}, 'max_linear_speed'),
        ({'max_angular_speed': np.nan}, 'max_angular_speed'),
        ({'max_tracking_error': -0.1}, 'max_tracking_error'),
        ({'max_tracking_angle': 0.0}, 'max_tracking_angle'),
    ],
)
def test_bad_limits_are_refused(kwargs, message):
    settings = {'workspace_lower': [-1, -1, 0], 'workspace_upper': [1, 1, 1]}
    settings.update(max_linear_speed=0.5, max_angular_speed=1.0)
    with pytest.raises(ValueError, match=message):
        CartesianLimits(**{**settings, **kwargs})


def test_limits_contain_and_clip_positions_only():
    q = about([1, 0, 0], 0.3)
    assert LIMITS.contains([pose([0, 0, 0], q), pose([1, -1, 1.5], q)])
    assert not LIMITS.contains([pose([0, 0, -0.01], q)])
    assert not LIMITS.contains([pose([np.nan, 0, 0.5], q)])
    np.testing.assert_allclose(LIMITS.clip(pose([2, -3, 0.5], q)), pose([1, -1, 0.5], q))


def test_a_late_chunk_starts_further_along():
    chunk = line_chunk(0.5, [0, 0, 0.5], [0.2, 0, 0], n=11)  # 0.5 .. 1.5 s
    executor = CartesianExecutor(FAST, blend_time=0.0)
    executor.start_from(chunk.pose_at(1.0), 1.0)
    executor.switch_to(chunk, 1.0)  # arrives 0.5 s after its first waypoint
    np.testing.assert_allclose(executor.command(1.0), chunk.pose_at(1.0))
    times, poses = executor.remaining_waypoints(1.0)
    np.testing.assert_allclose(times, 0.1 * np.arange(1, 6))
    np.testing.assert_allclose(poses, chunk.poses[6:])


def test_a_far_target_is_approached_at_the_speed_limit_along_the_line():
    direction = np.array([0.8, -0.6, 0.0])
    target = pose([0.1, 0.2, 0.5] + 1.0 * direction)
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(pose([0.1, 0.2, 0.5]), 0.0)
    executor.switch_to(PoseChunk([0.0], [target], 0.0), 0.0)
    _, commands = run(executor, 0.0, 3.0)
    steps = np.diff(commands[:, :3], axis=0)
    norms = np.linalg.norm(steps, axis=1)
    assert norms.max() <= 0.5 * DT + 1e-12
    np.testing.assert_allclose(norms[:99], 0.5 * DT)  # the full step while far away
    moving = steps[norms > 1e-9]
    assert len(moving) >= 100
    unit = moving / np.linalg.norm(moving, axis=1)[:, None]
    np.testing.assert_allclose(unit, [direction] * len(moving))
    np.testing.assert_allclose(commands[-1], target)  # 1 m at 0.5 m/s: there after 2 s


def test_a_large_turn_is_limited_to_the_angular_speed():
    target = pose([0, 0, 0.5], -about([1, 1, 0], 3.0))  # 172 degrees, the opposite sign
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(pose([0, 0, 0.5]), 0.0)
    executor.switch_to(PoseChunk([0.0], [target], 0.0), 0.0)
    _, commands = run(executor, 0.0, 4.0)
    q = commands[:, 3:]
    steps = turn_angle(q[:-1], q[1:])
    assert steps.max() <= 1.0 * DT + 1e-12
    np.testing.assert_allclose(steps[:149], 1.0 * DT)
    assert np.all(np.sum(q[:-1] * q[1:], axis=1) > 0)  # no sign flip between commands
    assert turn_angle(q[-1], target[3:]) < 1e-9
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0)


def test_the_same_rotation_with_the_other_sign_is_no_turn():
    q = about([0, 1, 0], 0.7)
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(pose([0, 0, 0.5], q), 0.0)
    executor.switch_to(PoseChunk([0.0], [pose([0, 0, 0.5], -q)], 0.0), 0.0)
    np.testing.assert_allclose(executor.command(DT)[3:], q)


def test_targets_outside_the_workspace_are_clipped_into_it():
    executor = CartesianExecutor(FAST, blend_time=0.0)
    executor.start_from(pose([5.0, 0.0, -1.0]), 0.0)  # a measured pose outside
    np.testing.assert_allclose(executor.last_command[:3], [1.0, 0.0, 0.0])
    chunk = line_chunk(0.0, [0.5, 0.5, 1.0], [1.0, 0.0, 1.0], n=20)  # leaves the box
    executor.switch_to(chunk, 0.0)
    _, commands = run(executor, 0.0, 2.0)
    assert LIMITS.contains(commands, tolerance=0.0)
    np.testing.assert_allclose(commands[-1, :3], [1.0, 0.5, 1.5])
    _, waypoints = executor.remaining_waypoints(0.0)
    assert LIMITS.contains(waypoints, tolerance=0.0)


def test_the_blend_is_continuous_at_a_switch():
    a = line_chunk(0.0, [0, 0, 0.5], [0.1, 0, 0], n=30)
    b = line_chunk(0.0, [0, 0.05, 0.5], [0.1, 0, 0], n=30, q=about([0, 0, 1], 0.2))
    executor = CartesianExecutor(FAST, blend_time=0.2)
    executor.start_from(a.pose_at(0.0), 0.0)
    executor.switch_to(a, 0.0)
    run(executor, 0.0, 1.0)
    jump = executor.switch_to(b, 1.0)
    assert jump == pytest.approx(0.05)
    ticks, commands = run(executor, 1.0, 1.6)
    np.testing.assert_allclose(commands[0], a.pose_at(1.0), atol=1e-12)  # no jump at the switch
    mid = commands[5]  # halfway through the blend: halfway in position and in rotation
    assert mid[1] == pytest.approx(0.025)
    assert turn_angle(rotations.IDENTITY_QUATERNION, mid[3:]) == pytest.approx(0.1)
    np.testing.assert_allclose(commands[10:], [b.pose_at(t) for t in ticks[10:]], atol=1e-12)
    y_steps = np.abs(np.diff(commands[:, 1]))
    assert y_steps.max() <= 0.05 / 0.2 * DT + 1e-12  # the offset is faded in, not jumped


def test_a_switch_from_a_hold_fades_from_the_held_pose():
    executor = CartesianExecutor(FAST, blend_time=0.2)
    executor.start_from(pose([0, 0, 0.5]), 0.0)
    chunk = PoseChunk([0.0], [pose([0.1, 0, 0.5])], 0.0)
    assert executor.switch_to(chunk, 0.0) == pytest.approx(0.1)
    _, commands = run(executor, 0.0, 0.3)
    np.testing.assert_allclose(commands[:11, 0], np.linspace(0.0, 0.1, 11), atol=1e-12)


def test_a_hold_after_clear_repeats_the_last_command():
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(pose([0, 0, 0.5]), 0.0)
    executor.switch_to(line_chunk(0.0, [0, 0, 0.5], [0.2, 0.1, 0], spin=0.5), 0.0)
    _, commands = run(executor, 0.0, 0.5)
    executor.clear()
    assert executor.active is None and not executor.chunk_finished(1.0)
    _, held = run(executor, 0.52, 1.0)
    assert np.array_equal(held, np.repeat(commands[-1:], len(held), axis=0))
    linear, angular = executor.last_twist
    assert not linear.any() and not angular.any()
    assert executor.remaining_waypoints(1.0)[1].shape == (0, 7)


def test_the_twist_is_the_velocity_of_the_last_step_in_the_base_frame():
    q0 = about([1, 0, 0], np.pi / 2)  # a tilted tool: the spin is about the base's z
    chunk = line_chunk(0.0, [0, 0, 0.5], [0.1, -0.05, 0.02], q=q0, spin=0.5)
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(chunk.poses[0], 0.0)
    executor.switch_to(chunk, 0.0)
    executor.command(0.0)
    assert not np.any(executor.last_twist[0]) and not np.any(executor.last_twist[1])
    run(executor, DT, 1.0)
    linear, angular = executor.last_twist
    np.testing.assert_allclose(linear, [0.1, -0.05, 0.02], atol=1e-9)
    np.testing.assert_allclose(angular, [0.0, 0.0, 0.5], atol=1e-9)


def test_tracking_error_between_command_and_measured_pose():
    limits = CartesianLimits(LOWER, UPPER, 0.5, 1.0, max_tracking_error=0.06)
    executor = CartesianExecutor(limits)
    assert executor.tracking_error(pose([9, 9, 9])) == (0.0, 0.0)
    q = about([0, 0, 1], 0.1)
    executor.start_from(pose([0.1, 0.1, 0.5], q), 0.0)
    measured = pose([0.13, 0.14, 0.5], -rotations.multiply(about([0, 1, 0], 0.2), q))
    distance, angle = executor.tracking_error(measured)
    assert distance == pytest.approx(0.05) and angle == pytest.approx(0.2)
    assert executor.following(measured)
    assert not executor.following(pose([0.1, 0.1, 0.5], about([0, 0, 1], 0.5)))  # 0.4 rad off
    assert not executor.following(pose([0.2, 0.1, 0.5], q))


def test_a_far_chunk_gives_waypoints_reachable_at_the_speed_limit():
    chunk = line_chunk(0.0, [0.9, 0, 0.5], [0.0, 0.0, 0.0], n=10)  # 0.9 m away at once
    executor = CartesianExecutor(LIMITS, blend_time=0.0)
    executor.start_from(pose([0, 0, 0.5]), 0.0)
    executor.switch_to(chunk, 0.0)
    times, poses = executor.remaining_waypoints(0.0)
    np.testing.assert_allclose(times, 0.1 * np.arange(1, 10))
    np.testing.assert_allclose(poses[:, 0], 0.05 * np.arange(1, 10))  # 0.5 m/s


def test_start_from_keeps_the_sign_refuses_nan_and_resets_the_twist():
    q = about([0, 0, 1], 0.4)
    executor = CartesianExecutor(LIMITS)
    assert executor.command(0.0) is None
    executor.start_from(pose([0, 0, 0.5], q), 0.0)
    executor.start_from(pose([0, 0, 0.5], -q), 1.0)  # the measured pose with the other sign
    np.testing.assert_allclose(executor.command(1.0)[3:], q)
    with pytest.raises(ValueError, match='cannot start'):
        executor.start_from(pose([np.nan, 0, 0.5]), 2.0)
    with pytest.raises(ValueError, match='cannot start'):
        executor.start_from(pose([0, 0, 0.5], (0, 0, 0, 0)), 2.0)
    np.testing.assert_allclose(executor.last_command[3:], q)  # unchanged by the refusals
