# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The built-in simulator: arm, task geometry, camera, expert, env and sim-demos."""

from __future__ import annotations

from imle_policy_ros.data import EpisodeStore
from imle_policy_ros.sim import (
    ArmGeometry,
    count_side_switches,
    ExpertPlan,
    forward_kinematics,
    inverse_kinematics,
    PlanarArm,
    ReachEnv,
    render,
    sample_scene,
    ScriptedExpert,
    side_of,
    SIDES,
    TaskScene,
    tool_clearance,
)
from imle_policy_ros.sim.camera import TARGET_COLOR
import numpy as np
import pytest

GEOMETRY = ArmGeometry()


# ---- arm ------------------------------------------------------------------------------
def test_arm_respects_velocity_limit_and_reaches_target():
    arm = PlanarArm([0.0, 0.0])
    arm.command([1.0, -0.3])
    dt, vmax = 0.01, GEOMETRY.max_velocity
    previous = arm.positions
    for _ in range(200):
        arm.advance(dt)
        assert np.all(np.abs(arm.positions - previous) <= vmax * dt + 1e-12)
        previous = arm.positions
    np.testing.assert_allclose(arm.positions, [1.0, -0.3], atol=1e-12)
    # Just over 1.0 / 1.5 s to get there, not sooner.
    slow = PlanarArm([0.0, 0.0])
    slow.command([1.0, 0.0])
    slow.advance(0.6)
    assert slow.positions[0] == pytest.approx(0.9)


def test_arm_clips_to_joint_limits_and_refuses_nan():
    arm = PlanarArm([0.0, 0.0])
    arm.command([10.0, -10.0])
    np.testing.assert_allclose(arm.target, [GEOMETRY.upper_limits[0], GEOMETRY.lower_limits[1]])
    arm.advance(100.0)
    np.testing.assert_allclose(arm.positions, arm.target)
    with pytest.raises(ValueError, match='not finite'):
        arm.command([np.nan, 0.0])
    with pytest.raises(ValueError, match='2 joint positions'):
        arm.command([0.0, 0.0, 0.0])
    np.testing.assert_allclose(arm.target, [GEOMETRY.upper_limits[0], GEOMETRY.lower_limits[1]])


def test_inverse_kinematics_round_trip_both_elbows():
    rng = np.random.default_rng(0)
    radius = rng.uniform(0.1, 0.94, 500)
    angle = rng.uniform(-np.pi, np.pi, 500)
    xy = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=-1)
    for elbow_up in (True, False):
        q = inverse_kinematics(xy, elbow_up=elbow_up)
        np.testing.assert_allclose(forward_kinematics(q), xy, atol=1e-9)
        assert np.all(q[:, 1] <= 0) if elbow_up else np.all(q[:, 1] >= 0)
    with pytest.raises(ValueError, match='out of reach'):
        inverse_kinematics([1.0, 0.0])


# ---- camera ---------------------------------------------------------------------------
def _target_pixels(image):
    mask = np.all(image == np.array(TARGET_COLOR, dtype=np.uint8), axis=-1)
    rows, cols = np.nonzero(mask)
    return mask.sum(), rows.mean(), cols.mean()


def test_render_shape_determinism_and_target_moves():
    a = TaskScene(target_xy=(0.8, 0.08))
    b = TaskScene(target_xy=(0.8, -0.08))
    image = render(a, a.home_q)
    assert image.shape == (96, 96, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, render(a, a.home_q))
    assert render(a, a.home_q, size=64).shape == (64, 64, 3)
    count_a, row_a, col_a = _target_pixels(image)
    count_b, row_b, col_b = _target_pixels(render(b, b.home_q))
    assert count_a >= 30 and count_b >= 30  # a clearly visible disc, not a speck
    # +y is image left: moving the target 16 cm to the right moves it ~17 px right.
    assert col_b - col_a == pytest.approx(0.16 * 96 / 0.9, abs=1.0)
    assert row_b == pytest.approx(row_a, abs=0.5)


# ---- task geometry --------------------------------------------------------------------
def test_side_of_and_switches_on_hand_made_paths():
    scene = TaskScene(target_xy=(0.8, 0.0))
    xs = np.linspace(0.35, 0.8, 50)
    bump = 0.15 * np.sin(np.pi * (xs - 0.35) / 0.45)
    left = np.stack([xs, bump], axis=-1)
    right = np.stack([xs, -bump], axis=-1)
    assert side_of(left, scene) == 'left' and side_of(right, scene) == 'right'
    assert count_side_switches(left, scene) == 0 and count_side_switches(right, scene) == 0
    assert side_of(left[:10], scene) is None  # never got past the obstacle

    # Dithering in front of the obstacle: left, right, left, then round on the left.
    dither = np.array(
        [[0.35, 0.0], [0.38, 0.05], [0.40, -0.05], [0.42, 0.05], [0.55, 0.15], [0.8, 0.0]]
    )
    assert count_side_switches(dither, scene) == 2
    assert side_of(dither, scene) == 'left'
    # Jitter inside the dead band is no switch.
    jitter = np.array(
        [[0.35, 0.0], [0.38, 0.01], [0.40, -0.01], [0.42, 0.015], [0.55, 0.15], [0.8, 0.0]]
    )
    assert count_side_switches(jitter, scene) == 0


# ---- expert ---------------------------------------------------------------------------
def test_expert_plans_are_clear_reachable_and_both_sides_appear():
    rng = np.random.default_rng(123)
    expert = ScriptedExpert()
    sides = []
    for _ in range(100):
        plan = expert.reset(sample_scene(rng), rng)
        sides.append(plan.side)
        assert tool_clearance(plan.tool_path, plan.scene).min() > 0.03
        # Each dataset step (10 Hz) asks no more than the arm can do in that step.
        t = np.arange(0.0, plan.duration + 0.1, 0.1)
        q = np.stack([plan.joint_positions_at(x) for x in t])
        assert np.abs(np.diff(q, axis=0)).max() <= GEOMETRY.max_velocity * 0.1
    assert 30 <= sides.count('left') <= 70


def test_expert_succeeds_closed_loop_in_env():
    env, expert = ReachEnv(seed=7), ScriptedExpert()
    rng = np.random.default_rng(7)
    sides = set()
    for _ in range(30):
        env.reset()
        expert.reset(env.scene, rng)
        dt = 0.1
        while not env.status().done:
            env.command(expert.action(env.time, dt))
            env.advance(dt)
        status = env.status()
        assert status.success and not status.collision, status
        assert status.side == expert.side and status.switches == 0
        assert status.time < 6.0
        sides.add(status.side)
    assert sides == set(SIDES)


def test_env_separates_physics_from_control_rate():
    """A 50 Hz controller with commands interpolated along the plan ends in the same place."""
    scene = TaskScene(target_xy=(0.82, 0.05))
    plan = ExpertPlan(scene, 'right')
    env = ReachEnv(physics_dt=0.005)
    env.reset(scene=scene)
    for k in range(int(plan.duration * 50) + 5):
        env.command(plan.joint_positions_at((k + 1) / 50))
        env.advance(1 / 50)
    status = env.status()
    assert status.success and status.side == 'right'
    assert env.time == pytest.approx((int(plan.duration * 50) + 5) / 50)
    assert env.camera_frame().shape == (96, 96, 3)


def test_driving_through_the_obstacle_collides_and_freezes():
    scene = TaskScene(target_xy=(0.8, 0.0))
    env = ReachEnv()
    env.reset(scene=scene)
    # Straight ahead in Cartesian space, through the obstacle (a joint-space move would
    # curve past it).
    for xy in np.linspace(scene.home_ee_xy, scene.target_xy, 100):
        env.command(inverse_kinematics(xy))
        env.advance(0.03)
    status = env.status()
    assert status.collision and not status.success and status.done
    assert tool_clearance(env.tool_position, scene) >= 0  # stopped before touching
    frozen = env.joint_positions
    env.command(scene.home_q)
    env.advance(1.0)
    np.testing.assert_array_equal(env.joint_positions, frozen)
    np.testing.assert_array_equal(env.joint_velocities, [0.0, 0.0])


def test_timeout():
    env = ReachEnv(time_limit=1.0)
    env.advance(0.5)
    assert not env.status().done
    env.advance(0.6)
    status = env.status()
    assert status.timeout and status.done and not status.success


# ---- sim-demos ------------------------------------------------------------------------
def test_sim_demos_cli_writes_a_readable_dataset(tmp_path, capsys):
    from imle_policy_ros.cli import main

    out = tmp_path / 'demos'
    assert (
        main(
            [
                'sim-demos',
                '-n',
                '4',
                '-o',
                str(out),
                '--seed',
                '3',
                '--image-size',
                '64',
                '--no-progress',
            ]
        )
        == 0
    )
    assert '4 demos' in capsys.readouterr().out
    store = EpisodeStore.open(out)
    assert len(store) == 4
    meta = store.meta
    assert meta.camera_names == ('top',) and meta.state_names == ('shoulder', 'elbow')
    assert meta.action_names == meta.state_names and meta.action_kind == 'joint_position'
    assert meta.source['seed'] == 3 and sum(meta.source['side_counts'].values()) == 4
    for i in range(len(store)):
        ep = store.episode(i)
        length = len(ep)
        assert ep.images['top'].shape == (length, 64, 64, 3)
        assert ep.states.shape == (length, 2) and ep.actions.shape == (length, 2)
        np.testing.assert_allclose(np.diff(ep.stamps), 0.1)
        # Commands were reached: the next step's joints are this step's command.
        np.testing.assert_allclose(ep.states[1:], ep.actions[:-1], atol=1e-6)
        # It ends holding still on the target.
        np.testing.assert_array_equal(ep.actions[-1], ep.actions[-2])
    assert main(['sim-demos', '-n', '1', '-o', str(out), '--no-progress']) == 1  # exists
    assert '--overwrite' in capsys.readouterr().err
    assert main(['sim-demos', '-n', '1', '-o', str(out), '--overwrite', '--no-progress']) == 0
    assert len(EpisodeStore.open(out)) == 1
