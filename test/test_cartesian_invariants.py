# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The Cartesian judge: each invariant catches what it is meant to; the executor passes."""

from imle_policy_ros.control.cartesian_executor import (
    CartesianExecutor,
    CartesianLimits,
    PoseChunk,
)
from imle_policy_ros.control.cartesian_invariants import CartesianRecord, check_cartesian_stream
from imle_policy_ros.control.gripper_channel import GripperChannel
from imle_policy_ros.runtime import rotations
import numpy as np

LIMITS = CartesianLimits([-1, -1, 0], [1, 1, 1], max_linear_speed=0.5, max_angular_speed=1.0)
TIMEOUT = 0.5
DWELL = 0.5
BASE = 'base_link'
DT = 0.01
Q = np.array([0.0, 0.0, 0.0, 1.0])


def about_z(angle):
    return rotations.from_rotation_vector([0.0, 0.0, angle])


def stream(poses, gripper=None, holding=None, measured=None, ages=None, times=None, **columns):
    n = len(poses)
    times = np.arange(n) * DT if times is None else times
    seqs, frames = columns.get('seqs'), columns.get('frames')
    return [
        CartesianRecord(
            float(times[i]),
            np.asarray(poses[i], dtype=np.float64),
            None if gripper is None else gripper[i],
            bool((holding or [0] * n)[i]),
            bool((measured or [0] * n)[i]),
            float((ages or [0.1] * n)[i]),
            None if seqs is None else seqs[i],
            None if frames is None else frames[i],
        )
        for i in range(n)
    ]


def at(x, q=Q, y=0.0, z=0.5):
    return np.concatenate([[x, y, z], q])


def violations(records):
    return check_cartesian_stream(records, LIMITS, TIMEOUT, BASE, DWELL).violations


def only(records):
    found = violations(records)
    assert len(found) == 1, found
    return found[0]


def test_a_smooth_stream_within_limits_passes():
    poses = [at(0.004 * i, about_z(0.009 * i)) for i in range(100)]  # 0.4 m/s, 0.9 rad/s
    records = stream(poses, gripper=[0.0] * 50 + [1.0] * 50, frames=[BASE] * 100)
    report = check_cartesian_stream(records, LIMITS, TIMEOUT, BASE, DWELL)
    assert report.ok and report.checked == 100 and report.unjudged_pairs == 0


def test_each_invariant_is_caught():
    assert 'not finite' in only(stream([at(0), at(np.nan)]))
    assert 'not finite' in only(stream([at(0), at(0)], gripper=[0.0, np.inf]))
    assert 'unit length' in only(stream([at(0), at(0, [0, 0, 0, 1.01])]))
    assert "frame 'tool0'" in only(stream([at(0), at(0)], frames=[BASE, 'tool0']))
    assert 'outside the workspace' in only(stream([at(0), at(0, z=-0.001)], measured=[0, 1]))
    assert 'moved 0.006000 m in 10.00 ms' in only(stream([at(0), at(0.006)]))  # 0.6 m/s
    diagonal = [at(0), at(0.004, y=0.004)]  # 0.004 per axis, but 0.57 m/s as a vector
    assert '0.566 m/s' in only(stream(diagonal))
    assert 'turned 0.012000 rad' in only(stream([at(0), at(0, about_z(0.012))]))  # 1.2 rad/s
    assert 'a hold moved' in only(stream([at(0), at(0.001)], holding=[0, 1]))
    assert 'a hold moved' in only(stream([at(0), at(0, about_z(1e-4))], holding=[0, 1]))
    assert 's old' in only(stream([at(0), at(0)], ages=[0.1, 0.6]))
    assert 'clock went back' in only(stream([at(0), at(0.001)], times=[1.0, 0.5]))
    assert 'flipped sign' in only(stream([at(0, about_z(0.1)), at(0, -about_z(0.1))]))
    held = stream([at(0)] * 2, gripper=[0.0, 1.0], holding=[1, 1])
    assert 'a hold changed the gripper' in only(held)


def test_gripper_chatter_is_caught_and_a_slow_gripper_passes():
    n = 120
    chatter = [0.0] * 10 + [1.0] * 30 + [0.0] * 80  # changes at 0.1 s and 0.4 s
    found = only(stream([at(0)] * n, gripper=chatter))
    assert 'changed to 0.0 0.300 s after its last change' in found
    slow = [0.0] * 10 + [1.0] * 50 + [0.0] * 60  # changes at 0.1 s and 0.6 s
    assert not violations(stream([at(0)] * n, gripper=slow))
    # a change to the measured state is not judged, but the next change waits for it
    measured = [0] * 20 + [1] + [0] * 99
    assert not violations(
        stream([at(0)] * n, gripper=[0.0] * 10 + [1.0] * 10 + [0.0] * 100, measured=measured)
    )
    late = [0.0] * 10 + [1.0] * 10 + [0.0] * 10 + [1.0] * 90  # 0.1 s after the measured one
    assert 'changed to 1.0 0.100 s after' in only(
        stream([at(0)] * n, gripper=late, measured=measured)
    )
    # an unknown state in between starts afresh (a reset to unknown)
    restart = [0.0] * 10 + [1.0] * 10 + [None] + [0.0] * 99
    assert not violations(stream([at(0)] * n, gripper=restart))


def test_the_rules_leave_legitimate_commands_alone():
    # a hold on stale inputs, then a jump to the measured pose (a resume), in any turn
    poses = [at(0), at(0), at(0.5, about_z(2.0))]
    assert not violations(stream(poses, holding=[0, 1, 1], measured=[0, 0, 1], ages=[0, 9, 9]))
    # exactly at both speed limits, and a from_measured pose with the other sign
    poses = [at(0), at(0.005, about_z(0.01)), at(0.005, -about_z(0.01))]
    assert not violations(stream(poses, measured=[0, 0, 1]))
    # the gripper may change at a from_measured hold (the measured gripper)
    assert not violations(stream([at(0)] * 2, gripper=[0.0, 1.0], holding=[1, 1], measured=[0, 1]))


def test_pairs_across_a_gap_in_tick_numbers_are_counted_not_judged():
    records = stream([at(0), at(0.5)], seqs=[1, 3])
    report = check_cartesian_stream(records, LIMITS, TIMEOUT, BASE, DWELL)
    assert report.ok and report.unjudged_pairs == 1
    # a gripper change seen only across the gap has no known time: its dwell is not judged
    records = stream([at(0)] * 3, gripper=[0.0, 1.0, 0.0], seqs=[1, 2, 5])
    report = check_cartesian_stream(records, LIMITS, TIMEOUT, BASE, DWELL)
    assert report.ok and report.unjudged_pairs == 2


def random_chunk(rng, now, period):
    """Return a chunk of 16 random waypoints, some outside the workspace, computed late."""
    t_obs = now - rng.uniform(0.0, 0.2)
    times = t_obs + period * np.arange(1, 17)
    start = rng.uniform(-1.2, 1.2, 3) + [0, 0, 0.5]
    positions = start + np.cumsum(rng.normal(0, 0.08, (16, 3)), axis=0)
    turns = np.cumsum(rng.normal(0, 0.3, (16, 3)), axis=0) + rng.normal(0, 1.5, 3)
    quaternions = rotations.from_rotation_vector(turns) * rng.choice([-1, 1], (16, 1))
    gripper = np.clip(rng.normal(0.5, 0.3, 16), 0, 1)  # often near the threshold
    return PoseChunk(times, np.concatenate([positions, quaternions], 1), t_obs, gripper)


def test_a_stream_of_the_executor_under_random_chunks_passes():
    rng = np.random.default_rng(7)
    t0, period = 1.7e9, 0.05  # epoch seconds, as ROS stamps them: the coarse float steps
    executor, channel = CartesianExecutor(LIMITS, blend_time=0.1), GripperChannel()
    measured = at(0.2, about_z(0.3))
    records, holding, from_measured = [], False, True
    executor.start_from(measured, t0)
    channel.reset(None, t0)
    for k in range(3000):  # 30 s at 100 Hz
        now = t0 + k * DT
        if k % 25 == 0:
            event = rng.uniform()
            if event < 0.1:  # an input went stale: hold
                executor.clear()
                holding = True
            elif event < 0.2:  # a resume from where the arm is (wherever that is)
                q = rotations.from_rotation_vector(rng.normal(0, 1.5, 3)) * rng.choice([-1, 1])
                executor.start_from(np.concatenate([rng.uniform(-1.5, 1.5, 3), q]), now)
                channel.reset(float(rng.uniform() > 0.5), now)
                holding, from_measured = False, True
            else:
                executor.switch_to(random_chunk(rng, now, period), now)
                holding = False
        pose = executor.command(now)
        gripper = channel.update(None if holding else executor.gripper_target(now), now)
        records.append(
            CartesianRecord(
                now, pose, gripper.state, holding, from_measured, 0.05, k, frame_id=BASE
            )
        )
        from_measured = False
    report = check_cartesian_stream(records, LIMITS, TIMEOUT, BASE, DWELL)
    assert report.ok, str(report)
    assert report.checked == 3000 and report.unjudged_pairs == 0
    poses = np.array([r.pose for r in records])
    steps = np.linalg.norm(np.diff(poses[:, :3], axis=0), axis=1)
    turns = rotations.angle_between(poses[:-1, 3:], poses[1:, 3:])
    # the stream did press the limits, so the judge judged something
    assert np.mean(steps > 0.5 * DT * 0.999) > 0.2 and np.mean(turns > 1.0 * DT * 0.999) > 0.2
    assert poses[:, 2].min() >= 0.0 and channel.changes > 5
