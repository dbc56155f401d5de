# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Faults that do not need a transport, injected into PolicyController on simulated time.

The faults: stopped and badly stamped frames, bad joint states, a clock that jumps back,
inference slower than a chunk, unusable model output, an arm moved behind the
controller's back. Each test checks the safe outcome, then every safety invariant over
everything the rig commanded (control.safety_invariants). The same faults through the ROS
nodes are in test_ros_faults.py.
"""

from controller_harness import DT, JOINTS, make_spec, ramp, ScriptedPolicy
from fault_rig import FaultRig, fresh_frames, fresh_joint_state
from imle_policy_ros.control.chunk_executor import JointLimits
from imle_policy_ros.control.policy_controller import ControllerConfig
from imle_policy_ros.control.safety_invariants import check_trajectory
from imle_policy_ros.control.trajectory_command import trajectory_points
from imle_policy_ros.runtime.policy import NonFiniteOutputError
import numpy as np
import pytest

TIMEOUT = 0.5
PERIOD = 0.01  # the rig's control period
LIMITS = JointLimits.create(2, -5, 5, velocity=2.0)
VELOCITY = np.array([0.5, -0.25])


def ramp_policy(spec, bad=None, bad_calls=()):
    """Continues a ramp from the newest joint position; calls in bad_calls return bad(chunk)."""

    def samples(joints, i):
        chunk = ramp(joints[-1], VELOCITY, spec)
        return (bad(chunk) if i in bad_calls else chunk)[None]

    return ScriptedPolicy(spec, samples)


def moving_rig(cameras=('top',), latency=0.0, policy=None, seconds=1.0) -> FaultRig:
    spec = make_spec(cameras=cameras)
    rig = FaultRig(
        policy or ramp_policy(spec),
        cameras=len(cameras),
        latency=latency,
        limits=LIMITS,
        config=ControllerConfig(stale_observation_timeout=TIMEOUT),
    )
    rig.controller.enable(True)
    rig.run(seconds)
    assert not rig.commands[-1].holding, rig.commands[-1].reason
    return rig


def assert_holds_until(rig, newest_valid_input: float, end: float, reason: str):
    """
    Check that every command holds, for `reason`, at one position (or commands nothing).

    This applies from the first tick at which the newest valid input is older than the
    timeout until `end`.
    """
    window = [c for c in rig.commands if c.time - newest_valid_input > TIMEOUT and c.time < end]
    assert window and all(c.holding for c in window), [c.reason for c in window if not c.holding][
        :3
    ]
    assert all(reason in c.reason for c in window), window[0].reason
    positions = [c.positions for c in window if c.positions is not None]
    assert np.allclose(positions, positions[0])
    return window


def assert_resumes_from_the_arm(rig, since: float, arm_at=None):
    """
    Check the rig moves again after `since` and its first moving command is the arm's position.

    Unless moved, the rig's arm stays where the last moving command put it while commands
    hold.
    """
    before = [c for c in rig.commands if c.time < since - 1e-9 and not c.holding]
    held_at = before[-1].positions if arm_at is None else arm_at
    moving = [c for c in rig.since(since) if not c.holding]
    assert moving, 'never resumed'
    assert moving[0].from_measured
    np.testing.assert_allclose(moving[0].positions, held_at, atol=1e-6)
    assert np.abs(moving[-1].positions - held_at).max() > 0.05  # and goes on moving


def assert_safe(rig):
    report = rig.invariants()
    assert report.ok, str(report)
    assert report.checked > 100


# ---- cameras --------------------------------------------------------------------------
@pytest.mark.parametrize(
    'cameras, stopped', [(('top',), 0), (('top', 'side'), 1)], ids=['the camera', 'one of two']
)
def test_a_stopped_camera_holds_within_the_timeout_and_resumes_from_the_arm(cameras, stopped):
    rig = moving_rig(cameras)
    newest = max(rig.fed[f'camera {cameras[stopped]!r}'])
    rig.frame_stamps = lambda camera, now: [] if camera == stopped else [now]
    rig.run(1.5)
    assert_holds_until(rig, newest, rig.clock.now(), f'camera {cameras[stopped]!r}')
    back = rig.clock.now()
    rig.frame_stamps = fresh_frames
    rig.run(1.0)
    assert_resumes_from_the_arm(rig, back)
    assert_safe(rig)


@pytest.mark.parametrize('fault', ['late', 'backwards', 'frozen'])
def test_frames_too_late_or_with_stamps_going_back_or_repeated_hold_and_resume(fault):
    """
    Check frames too late, with stamps going back, or repeated.

    late: stamped 0.8 s before they were taken (older than the timeout on arrival);
    backwards: each stamp earlier than the one before (out of order, every one);
    frozen: every frame carries the same stamp (duplicates).
    """
    rig = moving_rig()
    start = rig.clock.now()
    newest = max(rig.fed["camera 'top'"])
    rig.frame_stamps = {
        'late': lambda c, now: [now - 0.8],
        'backwards': lambda c, now: [start - (now - start) - DT],
        'frozen': lambda c, now: [start],
    }[fault]
    rig.run(1.5)
    # a frozen stamp is accepted once (it is newer than the last frame), then refused
    newest = max(newest, start) if fault == 'frozen' else newest
    assert_holds_until(rig, newest, rig.clock.now(), "camera 'top'")
    refusal = {'late': 'out-of-order', 'backwards': 'out-of-order', 'frozen': 'duplicate'}[fault]
    assert rig.controller.stats.rejected_by_source["camera 'top'"] >= 5
    assert refusal in rig.controller.stats.last_error or fault == 'late'
    back = rig.clock.now()
    rig.frame_stamps = fresh_frames
    rig.run(1.0)
    assert_resumes_from_the_arm(rig, back)
    assert_safe(rig)


@pytest.mark.parametrize('fault', ['late within the timeout', 'swapped pairs', 'each frame twice'])
def test_frames_that_leave_a_fresh_one_keep_the_arm_moving(fault):
    """
    Faults where the newest frame is still fresh.

    The bad copies are refused and counted; holding would be wrong.
    """
    rig = moving_rig()
    rig.frame_stamps = {
        'late within the timeout': lambda c, now: [now - 0.2],
        'swapped pairs': lambda c, now: [now, now - DT / 2],  # the older one arrives second
        'each frame twice': lambda c, now: [now, now],
    }[fault]
    start = rig.clock.now()
    rig.run(2.0)
    assert all(not c.holding for c in rig.since(start))
    if fault != 'late within the timeout':
        assert rig.controller.stats.rejected_by_source["camera 'top'"] >= 10
    assert rig.controller.stats.chunks_started >= 3
    assert_safe(rig)


def test_a_clock_jumping_back_resets_and_refuses_frames_from_the_old_time_base():
    rig = moving_rig(seconds=2.0)
    old_stamp = rig.clock.now()
    resets = rig.controller.stats.clock_resets
    rig.clock.set(0.0)  # simulation time restarted
    rig._next_frame = 0.0
    rig.step()
    assert rig.controller.stats.clock_resets == resets + 1
    # a frame taken before the jump, still in flight: from the future now
    reason = rig.controller.on_frame(0, old_stamp, np.zeros((8, 8, 3), np.uint8))
    assert reason and 'future' in reason
    rig.run(1.0)
    assert rig.controller.history.latest_stamps()["camera 'top'"] < 1.5  # the new frames got in
    moving = [c for c in rig.since(0.0) if not c.holding]
    assert moving and moving[0].from_measured  # the schedule restarted at the arm
    assert_safe(rig)


def test_inputs_from_before_a_reset_are_not_taken_for_the_new_scene():
    """
    A reset starts a new scene: the old one's last messages, still in flight, stay out.

    Found by the soak: the simulator put the arm home and called ~/reset, and a joint
    state and a frame taken just before were delivered after it (another topic, another
    thread). They were fresh by their stamps, so the controller resumed from the arm's
    old position and planned from the old scene while the arm was home, and it collided.
    """
    rig = moving_rig(seconds=2.0)
    old_position, taken = np.array(rig.joints), rig.clock.now() - 0.005
    rig.clock.advance(0.002)
    rig.controller.reset()
    reset_at = rig.clock.now()
    rig.joints = np.array([1.0, -1.0])  # where the new scene puts the arm
    assert rig.controller.on_joint_state(taken, JOINTS, old_position) is None  # not an error
    assert rig.controller.on_frame(0, taken, np.zeros((8, 8, 3), np.uint8)) is None
    first = rig.controller.tick()
    assert first.holding and first.positions is None  # nothing known of the new scene yet
    rig.run(1.0)
    moving = [c for c in rig.since(reset_at) if not c.holding]
    assert moving and moving[0].from_measured
    np.testing.assert_allclose(moving[0].positions, [1.0, -1.0])
    assert rig.controller.stats.rejected_inputs == 0
    assert_safe(rig)


# ---- joint states ---------------------------------------------------------------------
def missing_joint(now, joints):
    return JOINTS[:1], np.array(joints[:1])


def nan_joint(now, joints):
    return JOINTS, np.array([joints[0], np.nan])


@pytest.mark.parametrize(
    'fault, refusal', [(missing_joint, "missing joints ['b']"), (nan_joint, 'non-finite')]
)
def test_unusable_joint_states_stop_the_arm_then_command_nothing_until_they_are_back(
    fault, refusal
):
    rig = moving_rig()
    newest = max(rig.fed['joint_states'])
    rig.joint_state = fault
    rig.run(1.0)
    assert refusal in rig.controller.stats.last_error
    assert rig.controller.stats.rejected_by_source['joint_states'] >= 50
    lost = [c for c in rig.commands if c.time - newest > TIMEOUT]
    assert all(c.holding and 'joint_states' in c.reason for c in lost)
    # one hold at the last command stops the arm, then nothing: its state is unknown
    last_moving = [c for c in rig.commands if c.time < lost[0].time and not c.holding][-1]
    np.testing.assert_allclose(lost[0].positions, last_moving.positions)
    assert all(c.positions is None for c in lost[1:])
    back = rig.clock.now()
    rig.joint_state = fresh_joint_state
    rig.run(1.0)
    assert_resumes_from_the_arm(rig, back)
    assert_safe(rig)


def test_joint_states_with_extra_joints_in_another_order_are_matched_by_name():
    rig = moving_rig()
    rig.joint_state = lambda now, joints: (
        ('wrist', 'b', 'gripper', 'a'),
        np.array([9.0, joints[1], -9.0, joints[0]]),
    )
    start = rig.clock.now()
    at_start = np.array(rig.joints)
    rig.run(1.0)
    assert all(not c.holding for c in rig.since(start))
    assert rig.controller.stats.rejected_inputs == 0
    # still the same ramp on the same joints: nothing swapped
    np.testing.assert_allclose(rig.joints - at_start, VELOCITY * 1.0, atol=0.05)
    assert_safe(rig)


def test_a_robot_that_comes_back_elsewhere_is_commanded_from_where_it_is():
    """
    The robot process was restarted (or the arm moved by hand) while its inputs were gone.

    Its joint states and camera were gone; the joint states come back first.
    """
    rig = moving_rig()
    newest = max(rig.fed['joint_states'])
    rig.joint_state = lambda now, joints: None
    rig.frame_stamps = lambda camera, now: []
    rig.run(1.0)
    assert (
        sum(c.positions is not None for c in rig.commands if c.time - newest > TIMEOUT) == 1
    )  # the one stop
    moved_to = rig.joints + np.array([0.4, -0.3])  # back, at another position
    rig.joints = moved_to.copy()
    back = rig.clock.now()
    rig.joint_state = fresh_joint_state
    rig.run(0.3)
    holds = [c for c in rig.since(back) if c.positions is not None]
    assert holds and all(c.holding for c in holds)  # the camera is still missing
    assert holds[0].from_measured
    np.testing.assert_allclose(
        [c.positions for c in holds], [moved_to] * len(holds), atol=1e-6
    )  # never sent back
    rig.frame_stamps = fresh_frames
    camera_back = rig.clock.now()
    rig.run(1.0)
    assert_resumes_from_the_arm(rig, camera_back, arm_at=moved_to)
    assert_safe(rig)


def test_enabling_after_the_arm_was_moved_while_disabled_holds_where_it_is():
    rig = moving_rig()
    rig.controller.enable(False)
    rig.run(0.3)
    jogged = rig.joints + np.array([-0.5, 0.5])  # moved by someone else while disabled
    rig.joints = jogged
    rig.frame_stamps = lambda camera, now: []  # and the camera is gone by the time it is enabled
    rig.run(0.6)
    rig.controller.enable(True)
    cmd = rig.step()
    assert cmd.holding and 'camera' in cmd.reason
    assert cmd.from_measured
    np.testing.assert_allclose(cmd.positions, jogged, atol=1e-6)  # not where it was left
    assert_safe(rig)


# ---- inference and model output -------------------------------------------------------
def test_inference_slower_than_a_chunk_holds_its_last_waypoint_and_recovers():
    latency = [0.05]
    spec = make_spec()
    rig = FaultRig(
        ramp_policy(spec),
        latency=lambda result: latency[0],
        limits=LIMITS,
        config=ControllerConfig(stale_observation_timeout=TIMEOUT),
    )
    rig.controller.enable(True)
    rig.run(1.0)
    latency[0] = 2.5  # the provider slowed down: a chunk lasts 1.5 s from its observation
    rig.run(3.0)
    ctrl = rig.controller
    assert ctrl.stats.overruns >= 1 and ctrl.chunk_ran_out
    assert ctrl.stats.late_results >= 1  # its results come from inputs older than the timeout
    last_chunk_end = ctrl.executor.active.end_time
    after = [c for c in rig.commands if c.time > last_chunk_end + 0.2]
    assert after and np.allclose(
        [c.positions for c in after], ctrl.executor.active.positions[-1]
    )  # no extrapolation
    latency[0] = 0.05
    rig.run(3.0)
    assert not ctrl.chunk_ran_out
    assert np.abs(rig.commands[-1].positions - after[-1].positions).max() > 0.05  # moving again
    assert_safe(rig)


@pytest.mark.parametrize(
    'bad, reason',
    [
        (lambda chunk: chunk * np.nan, 'not finite'),
        (lambda chunk: chunk + np.inf, 'not finite'),
        (lambda chunk: chunk + 10.0, 'outside the position limits'),
        ('raise', 'inference failed'),
    ],
    ids=['nan', 'inf', 'outside limits', 'raises'],
)
def test_unusable_model_output_is_refused_and_the_arm_holds_until_a_usable_chunk(bad, reason):
    spec = make_spec()
    bad_calls = range(3, 6)
    if bad == 'raise':
        calls = []

        def samples(joints, i):
            calls.append(i)
            if len(calls) - 1 in bad_calls:
                raise NonFiniteOutputError('generator output contains NaN')
            return ramp(joints[-1], VELOCITY, spec)[None]

        policy = ScriptedPolicy(spec, samples)
    else:
        policy = ramp_policy(spec, bad, bad_calls)
    rig = moving_rig(policy=policy, seconds=0.5)
    rig.run(4.0)
    ctrl = rig.controller
    assert ctrl.stats.chunks_refused == len(bad_calls)
    held = [c for c in rig.commands if c.holding and c.reason.startswith('refused chunk')]
    assert held and reason in held[0].reason and reason in ctrl.stats.last_error
    assert np.allclose([c.positions for c in held], held[0].positions)
    assert_resumes_from_the_arm_after(rig, held[-1].time)
    assert_safe(rig)


def assert_resumes_from_the_arm_after(rig, t):
    moving = [c for c in rig.commands if c.time > t and not c.holding]
    assert moving and moving[0].from_measured


# ---- what a trajectory controller is sent ----------------------------------------------
def test_every_trajectory_message_keeps_each_segment_within_the_velocity_limit():
    """
    A policy asking for 5x the velocity limit.

    The executor limits its waypoints, and the message built from them must not ask the
    controller for more between its points.
    """
    spec = make_spec()
    fast = ScriptedPolicy(
        spec, lambda joints, i: np.clip(ramp(joints[-1], [10.0, -10.0], spec), -4.5, 4.5)[None]
    )
    rig = moving_rig(policy=fast, seconds=0.5)
    checked = 0
    for _ in range(150):
        now = rig.clock.now()
        rig.controller.on_frame(
            0, now, np.full((8, 8, 3), 100, np.uint8)
        ) if now % DT < PERIOD else None
        rig.controller.on_joint_state(now, JOINTS, rig.joints)
        cmd = rig.controller.tick(waypoints=True)
        if not cmd.holding:
            times, points = trajectory_points(cmd, PERIOD)
            assert len(times) > 1
            assert check_trajectory(times, points, LIMITS) == []
            rig.joints = np.array(cmd.positions)
            checked += 1
        rig.clock.advance(PERIOD)
    assert checked > 100
