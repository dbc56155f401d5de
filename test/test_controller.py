# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""PolicyController on simulated time: lateness, staleness, limits, blending, consistency."""

import time

from controller_harness import DT, JOINTS, make_spec, ramp, Rig, ScriptedPolicy
from imle_policy_ros.control.chunk_executor import JointLimits
from imle_policy_ros.control.clock import SimulatedClock
from imle_policy_ros.control.inference_runner import ThreadedRunner
from imle_policy_ros.control.policy_controller import ControllerConfig, PolicyController
import numpy as np
import pytest

SPEC = make_spec()
WIDE = JointLimits.create(2, -10, 10, velocity=2.0)  # room for long two-mode runs
VELOCITY = np.array([0.5, -0.25])


def ramp_policy():
    """Return a policy that always continues the ramp from the newest joint position it saw."""
    return ScriptedPolicy(SPEC, lambda joints, i: ramp(joints[-1], VELOCITY, SPEC)[None])


def max_step(commands):
    positions = np.array([c.positions for c in commands if not c.holding])
    return np.abs(np.diff(positions, axis=0)).max(axis=0)


def test_starts_disabled_and_holds_at_the_measured_position():
    rig = Rig(ramp_policy(), start=(0.3, -0.2))
    cmds = rig.run(0.5)
    assert all(c.holding for c in cmds)
    assert cmds[-1].reason == 'disabled'
    np.testing.assert_allclose(cmds[-1].positions, [0.3, -0.2])


def test_late_chunk_skips_the_actions_whose_time_has_passed():
    latency = 0.25
    limits = JointLimits.create(2, -1.5, 1.5, velocity=100.0)  # so the target shows unclipped
    rig = Rig(
        ramp_policy(), latency=latency, limits=limits, config=ControllerConfig(blend_time=0.0)
    )
    rig.controller.enable(True)
    cmds = rig.run(0.6)
    moving = [c for c in cmds if not c.holding and np.any(c.positions != 0)]
    first = moving[0]
    # the first chunk comes from the observation at t=0 and is ready at t=latency; its
    # command at that time is where the ramp is at that time, not its first waypoint
    assert first.time == pytest.approx(latency, abs=0.011)
    expected = VELOCITY * first.time  # ramp reaches 0 at t_obs: waypoint k due at (k-(To-1)+1)*dt
    np.testing.assert_allclose(first.positions, expected, atol=1e-6)


def test_commands_follow_the_chunk_in_time_at_control_rate():
    rig = Rig(ramp_policy(), latency=0.0, config=ControllerConfig(blend_time=0.0))
    rig.controller.enable(True)
    cmds = rig.run(2.0)
    late = [c for c in cmds if c.time > 0.2]
    for c in late:  # one continuous ramp through several chunk switches
        np.testing.assert_allclose(c.positions, VELOCITY * c.time, atol=0.03)
    assert rig.controller.stats.chunks_started >= 3
    assert rig.controller.stats.overruns == 0


def test_velocity_and_position_limits_bound_every_command():
    fast = np.array([10.0, -10.0])  # far beyond the 2 rad/s limit
    policy = ScriptedPolicy(
        SPEC, lambda joints, i: np.clip(ramp(joints[-1], fast, SPEC), -1.4, 1.4)[None]
    )
    rig = Rig(policy, latency=0.05)
    rig.controller.enable(True)
    cmds = rig.run(2.0)
    assert np.all(max_step(cmds) <= 2.0 * rig.control_period + 1e-9)
    positions = np.array([c.positions for c in cmds])
    assert positions.max() <= 1.5 and positions.min() >= -1.5


def test_chunk_outside_the_position_limits_is_refused_and_the_arm_holds():
    policy = ScriptedPolicy(
        SPEC, lambda joints, i: (ramp(joints[-1], VELOCITY, SPEC) + (5.0 if i >= 2 else 0))[None]
    )
    rig = Rig(policy)
    rig.controller.enable(True)
    cmds = rig.run(3.0)
    assert rig.controller.stats.chunks_refused >= 1
    held = [c for c in cmds if c.holding and c.reason.startswith('refused chunk')]
    assert held, 'a refused chunk must hold the arm'
    assert 'outside the position limits' in held[0].reason
    first_held = cmds.index(held[0])
    after = cmds[first_held:]
    assert all(c.holding for c in after)
    assert np.allclose(np.array([c.positions for c in after]), held[0].positions)


def test_non_finite_output_is_refused():
    policy = ScriptedPolicy(SPEC, lambda joints, i: np.full((1, SPEC.pred_horizon, 2), np.nan))
    rig = Rig(policy)
    rig.controller.enable(True)
    cmds = rig.run(0.5)
    assert all(c.holding for c in cmds[1:])  # from the first result on
    assert 'not finite' in cmds[-1].reason
    assert all(np.all(np.isfinite(c.positions)) for c in cmds)


def test_stale_camera_holds_within_the_timeout_and_resumes_without_a_jump():
    cfg = ControllerConfig(stale_observation_timeout=0.3)
    rig = Rig(ramp_policy(), latency=0.05, config=cfg)
    rig.controller.enable(True)
    rig.run(1.0)
    rig.camera_on = False
    stopped_at = rig.clock.now()
    cmds = rig.run(1.0)
    first_hold = next(c for c in cmds if c.holding)
    last_frame = stopped_at - (stopped_at % DT)
    assert (
        first_hold.time - last_frame <= cfg.stale_observation_timeout + rig.control_period + 1e-9
    )
    assert "camera 'top'" in first_hold.reason
    held = [c.positions for c in cmds if c.holding]
    assert np.allclose(held, held[0])  # no new motion while held
    at_resume = np.array(rig.joints)
    rig.camera_on = True
    cmds = rig.run(1.0)
    moving = [c for c in cmds if not c.holding]
    assert moving
    # the first command after the hold starts at the arm's position
    assert np.abs(moving[0].positions - at_resume).max() <= 2.0 * rig.control_period + 1e-9
    assert np.all(max_step(moving) <= 2.0 * rig.control_period + 1e-9)


def test_blend_at_a_chunk_switch_is_continuous():
    offsets = [0.0, 0.3, -0.3, 0.3, -0.3, 0.3, -0.3, 0.3]  # each chunk disagrees with the last

    def rig_with(blend_time):
        policy = ScriptedPolicy(
            SPEC, lambda joints, i: (ramp(joints[-1], VELOCITY, SPEC) + offsets[min(i, 7)])[None]
        )
        limits = JointLimits.create(2, -5, 5, velocity=100.0)  # so only the blend smooths
        rig = Rig(policy, limits=limits, config=ControllerConfig(blend_time=blend_time))
        rig.controller.enable(True)
        rig.run(3.0)
        return rig

    unblended = rig_with(0.0)
    assert np.all(max_step(unblended.commands) > 0.25)  # the disagreement shows as a step
    blended = rig_with(0.2)
    assert blended.controller.stats.last_jump > 0.25
    assert np.all(max_step(blended.commands) < 0.03)  # spread over the 0.2 s blend


def test_inference_slower_than_a_chunk_holds_at_its_end_and_counts_overruns():
    # chunk A (observation at 0) arrives at 1.0 and ends at 1.5; chunk B (observation at
    # 1.0) only arrives at 2.0
    rig = Rig(ramp_policy(), latency=1.0, config=ControllerConfig(stale_observation_timeout=5.0))
    rig.controller.enable(True)
    cmds = rig.run(3.0)
    assert rig.controller.stats.overruns >= 1
    first_chunk_end = rig.controller.waypoint_times(0.0)[-1]
    after_end = [c.positions for c in cmds if first_chunk_end + 0.02 < c.time < 1.99]
    assert after_end and np.allclose(after_end, after_end[0])  # held, not extrapolated


def test_result_from_inputs_older_than_the_timeout_is_dropped():
    rig = Rig(ramp_policy(), latency=0.6, config=ControllerConfig(stale_observation_timeout=0.5))
    rig.controller.enable(True)
    cmds = rig.run(2.0)
    assert rig.controller.stats.late_results >= 1
    assert rig.controller.stats.chunks_started == 0
    assert all(np.allclose(c.positions, 0) for c in cmds)


def test_clock_jumping_back_resets_the_schedule():
    rig = Rig(ramp_policy())
    rig.controller.enable(True)
    rig.run(1.0)
    rig.clock.set(0.0)  # simulation restarted
    cmd = rig.step()
    assert rig.controller.stats.clock_resets == 1
    assert cmd.holding and rig.controller.executor.active is None
    rig.run(1.0)
    assert not rig.commands[-1].holding  # moves again once fresh inputs arrive


def test_joint_states_are_reordered_and_bad_ones_refused():
    policy = ramp_policy()
    clock = SimulatedClock()
    ctrl = PolicyController(policy, JointLimits.create(2), clock, runner=None)
    assert ctrl.on_joint_state(0.0, ['b', 'extra', 'a'], [2.0, 9.0, 1.0]) is None
    np.testing.assert_allclose(ctrl.history.latest_joint_positions(), [1.0, 2.0])
    assert "missing joints ['b']" in ctrl.on_joint_state(0.1, ['a'], [1.0])
    assert 'non-finite' in ctrl.on_joint_state(0.2, ['a', 'b'], [1.0, np.nan])
    assert 'out-of-order' in ctrl.on_joint_state(-1.0, ['a', 'b'], [1.0, 2.0])
    assert 'duplicate' in ctrl.on_joint_state(0.0, ['a', 'b'], [1.0, 2.0])
    assert ctrl.stats.rejected_inputs == 4


def test_disabled_controller_keeps_predicting_in_shadow_mode():
    rig = Rig(ramp_policy())
    cmds = rig.run(2.0)
    assert all(c.holding for c in cmds)
    assert rig.controller.stats.inferences >= 2
    assert rig.controller.predicted_chunk is not None
    # paced like execution would be: not once per frame
    assert rig.controller.stats.inferences <= 2.0 / (SPEC.action_horizon * DT) + 2


def two_mode_policy(seed=0):
    """N=8 samples, half going +x and half -x, in random order at every call."""
    rng = np.random.default_rng(seed)

    def samples(joints, i):
        signs = rng.permutation([1, 1, 1, 1, -1, -1, -1, -1])
        return np.stack([ramp(joints[-1], [0.4 * s, 0.2], SPEC) for s in signs])

    return ScriptedPolicy(SPEC, samples)


def mode_switches(rig):
    xs = np.array([c.positions[0] for c in rig.commands if not c.holding and c.time > 0.3])
    direction = np.sign(np.diff(xs))
    direction = direction[direction != 0]
    return int(np.sum(direction[1:] != direction[:-1]))


@pytest.mark.parametrize('latency', [0.0, 0.15])
def test_temporal_consistency_keeps_one_mode_under_inference_delay(latency):
    cfg = ControllerConfig(consistency_reset_every=0)  # never let it change its mind
    rig = Rig(two_mode_policy(), latency=latency, config=cfg, limits=WIDE)
    rig.controller.enable(True)
    rig.run(3.0)
    assert rig.controller.stats.chunks_started >= 3
    assert mode_switches(rig) == 0
    off = Rig(
        two_mode_policy(),
        latency=latency,
        config=ControllerConfig(temporal_consistency=False),
        limits=WIDE,
    )
    off.controller.enable(True)
    off.run(3.0)
    assert mode_switches(off) >= 1  # random picks switch modes


def test_reference_is_dropped_every_k_chunks_like_the_reference_counter():
    rig = Rig(two_mode_policy(), config=ControllerConfig(consistency_reset_every=3), limits=WIDE)
    rig.controller.enable(True)
    rig.run(8.0)
    has_reference = [ref is not None for _, ref, _, _ in rig.controller.policy.calls]
    n = len(has_reference)
    assert n >= 8
    # reference rule with k=3: calls 1, 4, 7, ... (1-based) choose without a reference
    assert has_reference == [(i % 3) != 0 for i in range(n)]


def test_synchronous_case_is_the_reference_rule():
    """
    Instant inference started exactly action_horizon steps after the last observation.

    The reference is previous[action_horizon:], compared with new[:Tp - Ta].
    """
    rig = Rig(
        two_mode_policy(),
        latency=0.0,
        config=ControllerConfig(replan_lead=0.0, consistency_reset_every=0),
        limits=WIDE,
    )
    rig.controller.enable(True)
    rig.run(2.5)
    calls = rig.controller.policy.calls
    assert len(calls) >= 3
    ta, tp = SPEC.action_horizon, SPEC.pred_horizon
    for previous, current in zip(calls[1:], calls[2:]):
        _, reference, offset, _ = current
        prev_chunk = SPEC.action_stats.normalize(previous[3])
        assert offset == 0
        np.testing.assert_allclose(reference, prev_chunk[ta:], atol=1e-5)
        assert reference.shape[0] == tp - ta


def test_threaded_runner_never_blocks_the_tick():
    def slow_samples(joints, i):
        time.sleep(0.3)
        return ramp(joints[-1], VELOCITY, SPEC)[None]

    clock = SimulatedClock()
    runner = ThreadedRunner(clock)
    ctrl = PolicyController(
        ScriptedPolicy(SPEC, slow_samples), JointLimits.create(2, velocity=2.0), clock, runner
    )
    ctrl.enable(True)
    try:
        worst = 0.0
        for _ in range(40):
            ctrl.on_frame(0, clock.now(), np.zeros((8, 8, 3), np.uint8))
            ctrl.on_joint_state(clock.now(), JOINTS, [0.0, 0.0])
            start = time.perf_counter()
            ctrl.tick()
            worst = max(worst, time.perf_counter() - start)
            clock.advance(0.01)
            time.sleep(0.01)
        assert ctrl.stats.inferences >= 1
        assert worst < 0.1  # the 0.3 s inference ran beside the ticks
    finally:
        runner.stop()
