# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""GripperChannel on simulated time: hysteresis, dwell, unknown states, bad values."""

from imle_policy_ros.control.gripper_channel import GripperChannel
import numpy as np
import pytest

RATE = 50  # Hz


def ticks(t0, seconds):
    """Return tick times at RATE from t0 (each computed, not summed, as a clock gives them)."""
    return [t0 + k / RATE for k in range(int(round(seconds * RATE)))]


@pytest.mark.parametrize(
    'kwargs, message',
    [
        ({'threshold': 0.0}, 'threshold'),
        ({'threshold': 1.0}, 'threshold'),
        ({'threshold': 0.8, 'hysteresis': 0.2}, 'hysteresis'),
        ({'hysteresis': -0.01}, 'hysteresis'),
        ({'min_dwell': -1.0}, 'min_dwell'),
        ({'min_dwell': np.nan}, 'min_dwell'),
    ],
)
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GripperChannel(**kwargs)


def test_samples_oscillating_around_the_threshold_change_at_most_once():
    for start in (None, 0.0, 1.0):
        channel = GripperChannel()
        channel.reset(start, 0.0)
        decisions = [
            channel.update(0.45 if k % 2 else 0.55, t) for k, t in enumerate(ticks(0.0, 5.0))
        ]
        assert channel.changes <= 1
        assert len({d.state for d in decisions}) == 1
    assert channel.state == 1.0  # inside the band a known state is kept


def test_without_hysteresis_the_dwell_alone_bounds_the_chatter():
    channel = GripperChannel(hysteresis=0.0, min_dwell=0.5)
    channel.reset(0.0, 0.0)
    changed_at = [
        t for k, t in enumerate(ticks(0.0, 5.0)) if channel.update(0.3 + 0.4 * (k % 2), t).changed
    ]
    assert len(changed_at) == channel.changes == 10  # at 0.02, 0.52, ... 4.52 s
    assert np.diff(changed_at).min() >= 0.5 - 1e-9


def test_a_jump_changes_after_exactly_the_dwell():
    channel = GripperChannel(min_dwell=0.5)
    channel.reset(None, 0.0)
    first = channel.update(0.0, 0.0)
    assert (first.state, first.changed) == (0.0, True)  # the first decision, at once
    decisions = {t: channel.update(1.0, t) for t in ticks(0.1, 1.0)}
    changed = [t for t, d in decisions.items() if d.changed]
    assert changed == [pytest.approx(0.5)]  # tick 25 at 50 Hz, not 26
    assert decisions[changed[0]].state == 1.0 and channel.changes == 2
    assert all(d.state == 0.0 for t, d in decisions.items() if t < changed[0])


def test_from_a_known_state_the_first_change_is_immediate():
    channel = GripperChannel(min_dwell=0.5)
    channel.reset(0.0, 0.0)
    assert channel.update(0.59, 0.01).changed is False  # inside the band
    decision = channel.update(0.61, 0.02)
    assert decision.changed and decision.state == 1.0
    assert channel.update(0.0, 0.03).state == 1.0  # held by the dwell
    assert channel.update(0.39, 0.52).changed  # below the band, after the dwell


def test_a_reset_to_a_different_state_restarts_the_dwell():
    channel = GripperChannel(min_dwell=0.5)
    channel.reset(0.0, 0.0)
    channel.reset(0.93, 1.0)  # the measured gripper is closed: that is a change
    assert channel.state == 1.0
    assert not channel.update(0.0, 1.2).changed
    assert channel.update(0.0, 1.5).changed
    channel.reset(0.0, 1.6)  # the same state: no new dwell ...
    channel.reset(0.2, 1.6)  # ... and a measured 0.2 is open
    assert channel.state == 0.0 and channel.changes == 1


def test_values_that_are_not_finite_keep_the_state():
    channel = GripperChannel()
    channel.reset(None, 0.0)
    unknown = channel.update(np.nan, 0.0)
    assert unknown.state is None and not unknown.changed  # nothing is commanded yet
    channel.update(0.9, 0.1)
    for t, value in ((1.0, np.nan), (2.0, np.inf), (3.0, -np.inf), (4.0, None)):
        decision = channel.update(value, t)
        assert decision.state == 1.0 and not decision.changed
    channel.reset(np.nan, 5.0)  # a measured value that is not one: unknown
    assert channel.state is None
