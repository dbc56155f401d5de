# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The judge of every fault test and the soak: each invariant catches what it is meant to."""

from imle_policy_ros.control.chunk_executor import JointLimits
from imle_policy_ros.control.safety_invariants import (
    check_command_stream,
    check_input_freshness,
    check_measured_starts,
    check_trajectory,
    CommandRecord,
)
import numpy as np

LIMITS = JointLimits.create(2, lower=-1.0, upper=1.0, velocity=1.0)
TIMEOUT = 0.5


def stream(positions, holding=None, from_measured=None, ages=None, times=None, seqs=None):
    n = len(positions)
    times = np.arange(n) * 0.01 if times is None else times
    return [
        CommandRecord(
            float(times[i]),
            np.asarray(positions[i], float),
            bool((holding or [0] * n)[i]),
            bool((from_measured or [0] * n)[i]),
            float((ages or [0.1] * n)[i]),
            None if seqs is None else seqs[i],
        )
        for i in range(n)
    ]


def violations(records):
    return check_command_stream(records, LIMITS, TIMEOUT).violations


def test_a_smooth_stream_within_limits_passes():
    positions = [[0.005 * i, -0.005 * i] for i in range(100)]  # 0.5 rad/s
    report = check_command_stream(stream(positions), LIMITS, TIMEOUT)
    assert report.ok and report.checked == 100


def test_each_invariant_is_caught():
    assert 'not finite' in violations(stream([[0, 0], [np.nan, 0]]))[0]
    assert 'outside the position limits' in violations(stream([[0, 0], [0, 1.001]]))[0]
    assert 'moved 0.020000 in 10.00 ms' in violations(stream([[0, 0], [0.02, 0]]))[0]  # 2 rad/s
    assert (
        'moved on inputs 0.600 s old' in violations(stream([[0, 0], [0, 0]], ages=[0.1, 0.6]))[0]
    )
    assert 'a hold moved the arm' in violations(stream([[0, 0], [0.001, 0]], holding=[1, 1]))[0]
    assert (
        'while the clock went back'
        in violations(stream([[0, 0], [0.001, 0]], times=[1.0, 0.5]))[0]
    )


def test_the_rules_leave_legitimate_commands_alone():
    # a hold on stale inputs, and a jump to the measured position (a resume)
    assert not violations(
        stream(
            [[0, 0], [0, 0], [0.5, 0.5]],
            holding=[0, 1, 1],
            from_measured=[0, 0, 1],
            ages=[0.1, 0.9, 0.9],
        )
    )
    # exactly at the velocity limit
    assert not violations(stream([[0, 0], [0.01, -0.01]]))


def test_pairs_across_a_gap_in_tick_numbers_are_counted_not_judged():
    report = check_command_stream(stream([[0, 0], [0.5, 0]], seqs=[1, 3]), LIMITS, TIMEOUT)
    assert report.ok and report.unjudged_pairs == 1


def test_trajectory_segments_are_judged_at_their_own_times():
    assert not check_trajectory([0.01, 0.11], [[0, 0], [0.1, 0]], LIMITS)
    assert 'segment 0' in check_trajectory([0.01, 0.02], [[0, 0], [0.1, 0]], LIMITS)[0]
    assert 'outside' in check_trajectory([0.01], [[2.0, 0]], LIMITS)[0]


def test_freshness_is_judged_from_the_published_stamps_not_the_controllers_word():
    records = stream(
        [[0, 0], [0, 0]], ages=[0.0, 0.0], times=[1.0, 2.0]
    )  # the controller claims fresh inputs
    stamps = {"camera 'top'": [0.9, 1.0, 1.2], 'joint_states': [0.99, 1.99]}
    report = check_input_freshness(records, stamps, TIMEOUT, tolerance=0.1)
    assert (
        len(report.violations) == 1
        and "camera 'top' published by then was 0.800 s old" in report.violations[0]
    )
    held = stream([[0, 0], [0, 0]], holding=[0, 1], times=[1.0, 2.0])
    assert check_input_freshness(
        held, stamps, TIMEOUT, tolerance=0.1
    ).ok  # holding on old inputs is fine


def test_a_start_away_from_where_the_arm_was_seen_is_caught():
    # joint states seen at t = 0.0 (arm at 0.5, 0) and 1.0 (arm at 0.8, 0)
    stamps, seen = [0.0, 1.0], [[0.5, 0.0], [0.8, 0.0]]
    records = stream(
        [[0.5, 0.0], [0.2, 0.0], [0.8, 0.0], [0.9, 0.0]],
        from_measured=[1, 1, 1, 0],
        times=[0.5, 0.6, 1.2, 1.3],
    )
    report = check_measured_starts(records, stamps, seen, LIMITS, tolerance=0.05)
    assert len(report.violations) == 1  # command 1 started from an old position, not the arm's
    assert 'command 1' in report.violations[0] and '0.3 apart' in report.violations[0].replace(
        '0.300', '0.3'
    )
    # a start the observer has no joint state for cannot be judged, and is not flagged
    early = stream([[0.3, 0.0]], from_measured=[1], times=[-0.1])
    assert check_measured_starts(early, stamps, seen, LIMITS, tolerance=0.05).violations == []
