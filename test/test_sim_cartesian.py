# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The simulator as a Cartesian robot with a gripper: IK targets, twists, the grasp task."""

from __future__ import annotations

from imle_policy_ros.sim import (
    ArmGeometry,
    CartesianArm,
    expert_for,
    forward_kinematics,
    GRASP_TASK_NAME,
    GraspExpert,
    Gripper,
    GRIPPER_CLOSED,
    GRIPPER_OPEN,
    inverse_kinematics,
    PlanarArm,
    ReachEnv,
    ScriptedExpert,
    SIDES,
    solve,
    TaskScene,
    tool_pose,
)
import numpy as np
import pytest

GEOMETRY = ArmGeometry()
SCENE = TaskScene(target_xy=(0.82, 0.05))


def _grid_nearest(xy, n=700):
    """Brute force: the nearest tool position over a dense grid of the joint-limit box."""
    s = np.linspace(GEOMETRY.lower_limits[0], GEOMETRY.upper_limits[0], n)
    e = np.linspace(GEOMETRY.lower_limits[1], GEOMETRY.upper_limits[1], n)
    q = np.stack(np.meshgrid(s, e, indexing='ij'), axis=-1).reshape(-1, 2)
    return np.linalg.norm(forward_kinematics(q) - xy, axis=1).min()


# ---- Cartesian targets ------------------------------------------------------------------
def test_pose_target_is_reached_at_the_joint_velocity_limit():
    env = ReachEnv()
    env.reset(scene=SCENE)
    # A quarter turn about z and a height: both ignored (no wrist, planar).
    turned = [0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)]
    env.command_pose([0.6, 0.35, 0.2, *turned])
    previous = env.joint_positions
    for _ in range(300):
        env.advance(0.01)
        step = np.abs(env.joint_positions - previous)
        assert np.all(step <= GEOMETRY.max_velocity * 0.01 + 1e-12)
        previous = env.joint_positions
    np.testing.assert_allclose(env.ee_pose, [0.6, 0.35, 0.0, 0.0, 0.0, 0.0, 1.0], atol=1e-9)
    np.testing.assert_allclose(env.cartesian.target_pose, tool_pose([0.6, 0.35]), atol=1e-12)
    assert env.clamped_targets == 0
    # The IK solution nearest the current joints: the home pose is elbow up, so it stays so.
    assert env.joint_positions[1] < 0


def test_ik_keeps_the_elbow_branch_the_arm_is_on():
    for elbow_up in (True, False):
        q_now = inverse_kinematics([0.5, 0.1], elbow_up=elbow_up)
        q, clamped = solve([0.6, -0.2], q_now)
        assert not clamped and (q[1] < 0) == elbow_up
        np.testing.assert_allclose(forward_kinematics(q), [0.6, -0.2], atol=1e-12)


def test_unreachable_targets_are_clamped_to_the_nearest_reachable_point_and_counted():
    arm = CartesianArm(PlanarArm(SCENE.home_q))
    arm.command_pose(tool_pose([2.0, 0.0]))  # beyond the reach (0.95 m)
    assert arm.clamped_targets == 1
    np.testing.assert_allclose(arm.target_pose[:2], [0.95, 0.0], atol=1e-9)
    for _ in range(400):
        arm.advance(0.01)
    np.testing.assert_allclose(arm.ee_pose[:2], [0.95, 0.0], atol=1e-9)
    arm.command_pose(tool_pose([0.7, 0.1]))  # reachable: not counted
    assert arm.clamped_targets == 1
    # Too near the base for the elbow limits, behind the shoulder limits, out of reach:
    # each clamped target is reachable and as near as a dense search of the joint box gets.
    rng = np.random.default_rng(0)
    for xy in [(0.05, 0.0), (0.0, 0.1), (-0.9, 0.0), (-0.5, -0.5), (1.2, 0.8)] + list(
        rng.uniform(-1.2, 1.2, (15, 2))
    ):
        q, clamped = solve(xy, SCENE.home_q)
        assert np.all(q >= np.asarray(GEOMETRY.lower_limits) - 1e-9)
        assert np.all(q <= np.asarray(GEOMETRY.upper_limits) + 1e-9)
        distance = np.linalg.norm(forward_kinematics(q) - xy)
        nearest = _grid_nearest(np.asarray(xy))
        assert distance <= nearest + 1e-9
        assert distance >= nearest - 5e-3  # the grid is a few mm coarse
        assert clamped == (distance > 1e-9)


def test_targets_in_another_frame_are_refused():
    env = ReachEnv()
    before = env.arm.target
    with pytest.raises(ValueError, match="'world'.*'base_link'"):
        env.command_pose(tool_pose([0.6, 0.2]), frame_id='world')
    with pytest.raises(ValueError, match="'tool0'.*'base_link'"):
        env.command_twist([0.1, 0.0, 0.0], [0.0, 0.0, 0.0], frame_id='tool0')
    with pytest.raises(ValueError, match='not finite'):
        env.command_pose([np.nan, 0.2, 0, 0, 0, 0, 1])
    np.testing.assert_array_equal(env.arm.target, before)
    assert not env.cartesian.twist_active


def test_twist_moves_while_it_keeps_coming_and_stops_after_the_timeout():
    env = ReachEnv()
    env.reset(scene=SCENE)
    start = env.ee_pose[:2]
    # 0.1 m/s forward, re-sent every 50 ms for 0.5 s; the angular part is ignored.
    for _ in range(10):
        env.command_twist([0.1, 0.0, 0.3], [0.0, 0.0, 1.0])
        env.advance(0.05)
    assert env.cartesian.twist_active
    np.testing.assert_allclose(env.ee_pose[:2] - start, [0.05, 0.0], atol=1e-9)
    # No more twists: the last one runs out 0.1 s after it came, and the arm stands.
    env.advance(0.5)
    assert not env.cartesian.twist_active
    np.testing.assert_allclose(env.ee_pose[:2] - start, [0.055, 0.0], atol=1e-9)
    env.advance(0.5)
    np.testing.assert_allclose(env.ee_pose[:2] - start, [0.055, 0.0], atol=1e-9)
    np.testing.assert_array_equal(env.joint_velocities, [0.0, 0.0])
    # A joint command replaces a running twist.
    env.command_twist([0.0, 0.1, 0.0])
    env.command(SCENE.home_q)
    env.advance(2.0)
    np.testing.assert_allclose(env.ee_pose[:2], SCENE.home_ee_xy, atol=1e-9)


def test_a_twist_out_of_reach_slides_along_the_edge_and_counts_once():
    arm = CartesianArm(PlanarArm([0.0, 0.0]))  # stretched out: on the edge of the reach
    for _ in range(20):  # outward and to the left for 1 s
        arm.command_twist([0.2, 0.2, 0.0])
        for _ in range(5):
            arm.advance(0.01)
    assert arm.clamped_targets == 20  # one per twist message that had to be clamped
    assert np.linalg.norm(arm.ee_pose[:2]) == pytest.approx(0.95, abs=1e-6)
    assert arm.ee_pose[1] > 0.1  # it slid round the edge


# ---- the gripper ------------------------------------------------------------------------
def test_gripper_moves_at_its_speed_limit_and_clips():
    gripper = Gripper()
    assert gripper.position == GRIPPER_OPEN
    gripper.command(GRIPPER_CLOSED)
    gripper.advance(0.1)
    assert gripper.position == pytest.approx(0.02) and gripper.velocity == pytest.approx(-0.2)
    gripper.advance(0.05)
    assert gripper.position == pytest.approx(0.01)
    gripper.advance(1.0)
    assert gripper.position == GRIPPER_CLOSED
    gripper.command(0.5)  # beyond the travel
    assert gripper.target == GRIPPER_OPEN
    with pytest.raises(ValueError, match='not finite'):
        gripper.command(float('nan'))
    env = ReachEnv()
    env.command_gripper(GRIPPER_CLOSED)
    fingers = []
    for _ in range(30):
        env.advance(0.01)
        fingers.append(env.gripper_position)
    assert np.abs(np.diff(fingers)).max() <= 0.2 * 0.01 + 1e-12
    assert fingers[-1] == GRIPPER_CLOSED and env.all_joint_positions.shape == (3,)


# ---- the grasp task ---------------------------------------------------------------------
def _at_target_env(time_limit=10.0):
    env = ReachEnv(task=GRASP_TASK_NAME, time_limit=time_limit)
    env.reset(scene=TaskScene(target_xy=(0.8, 0.0)))
    # Round the obstacle to the target through a point beside it, then sit on the target.
    env.command_pose(tool_pose([0.55, 0.2]))
    env.advance(1.5)
    env.command_pose(tool_pose([0.8, 0.0]))
    env.advance(1.5)
    return env


def test_grasp_task_succeeds_only_with_the_gripper_closed_on_the_target():
    env = _at_target_env()
    status = env.status()
    assert not status.done and status.distance_to_target < 1e-9  # on it, but still open
    env.command_gripper(GRIPPER_CLOSED)
    env.advance(0.1)
    assert not env.status().done  # half closed
    env.advance(0.1)
    status = env.status()
    assert status.success and status.outcome == 'success' and not status.grasped_early


def test_closing_off_the_target_fails_as_grasped_early():
    env = ReachEnv(task=GRASP_TASK_NAME)
    env.reset(scene=SCENE)
    env.command_gripper(GRIPPER_CLOSED)
    env.advance(0.09)
    assert not env.status().done  # 22 mm: not yet below half
    env.advance(0.02)
    status = env.status()
    assert status.grasped_early and status.done and not status.success
    assert status.outcome == 'grasped_early' and not status.timeout
    # The reach task ignores the gripper.
    reach = ReachEnv()
    reach.reset(scene=SCENE)
    reach.command_gripper(GRIPPER_CLOSED)
    reach.advance(0.5)
    assert not reach.status().done


def test_grasp_task_times_out_when_the_gripper_never_closes():
    env = _at_target_env(time_limit=4.0)
    env.advance(1.1)
    status = env.status()
    assert status.timeout and status.outcome == 'timeout' and not status.success


def test_grasp_expert_solves_random_scenes_both_ways_through_both_interfaces():
    env, expert = ReachEnv(seed=3, task=GRASP_TASK_NAME), expert_for(GRASP_TASK_NAME)
    assert isinstance(expert, GraspExpert)
    rng = np.random.default_rng(3)
    sides, dt = [], 0.1
    for i in range(20):
        env.reset()
        expert.reset(env.scene, rng)
        while not env.status().done:
            t = env.time
            if i % 2:
                env.command_pose(expert.pose_action(t, dt))
            else:
                env.command(expert.action(t, dt))
            env.command_gripper(expert.gripper_action(t, dt))
            env.advance(dt)
        status = env.status()
        assert status.success and status.side == expert.side and status.switches == 0, status
        assert env.clamped_targets == 0
        # Closed at once, not long after reaching the target.
        assert status.time <= expert.close_time + 0.1 + 0.2 + 1e-9
        assert expert.finished(status.time + 0.1, dt)
        sides.append(status.side)
    assert set(sides) == set(SIDES)


def test_the_reach_task_moves_exactly_as_a_bare_arm():
    # The Cartesian layer and the gripper add nothing to joint commands in the reach task:
    # the bundled model's demos and evaluations do not change.
    env, expert = ReachEnv(physics_dt=0.005), ScriptedExpert()
    env.reset(scene=SCENE)
    expert.reset(SCENE, rng=None, side='left')
    arm = PlanarArm(SCENE.home_q)
    for k in range(60):
        command = expert.action(k * 0.02, 0.02)
        env.command(command)
        env.advance(0.02)
        arm.command(command)
        for _ in range(4):
            arm.advance(0.005)
        np.testing.assert_array_equal(env.joint_positions, arm.positions)
        np.testing.assert_array_equal(env.joint_velocities, arm.velocities)
    assert expert_for('reach_around_obstacle').__class__ is ScriptedExpert
    with pytest.raises(ValueError, match='task must be one of'):
        ReachEnv(task='pick_and_place')
