# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""RateMeter with synthetic tick times (deterministic)."""

from __future__ import annotations

from imle_policy_ros.control.rate_meter import RateMeter
import numpy as np
import pytest


def ticked(times, period=0.01, window=500) -> RateMeter:
    meter = RateMeter(period, window)
    for t in times:
        meter.tick(t)
    return meter


def test_empty_meter_reports_zeros():
    meter = ticked([5.0])  # one tick: no period yet
    assert meter.count == 0
    assert meter.rate_hz() == 0.0
    assert meter.jitter_ms(99) == 0.0
    assert meter.longest_gap == 0.0


def test_regular_ticks_give_the_rate_and_no_jitter():
    meter = ticked(np.arange(101) * 0.01 + 3.0)
    assert meter.count == 100
    assert meter.rate_hz() == pytest.approx(100.0)
    assert meter.jitter_ms(50) == pytest.approx(0.0, abs=1e-6)
    assert meter.jitter_ms(100) == pytest.approx(0.0, abs=1e-6)
    assert meter.longest_gap == pytest.approx(0.01)


def test_rate_is_the_mean_period():
    meter = ticked([0.0, 0.01, 0.03, 0.04])  # periods 10, 20, 10 ms
    assert meter.rate_hz() == pytest.approx(1.0 / (0.04 / 3))


def test_jitter_percentiles_are_deviations_from_the_nominal_period():
    # 98 periods of 10 ms, one of 12 ms, one of 7 ms: deviations 0 x98, 2 ms, 3 ms
    periods = [0.01] * 98 + [0.012, 0.007]
    meter = ticked(np.concatenate([[0.0], np.cumsum(periods)]))
    deviations = np.abs(np.array(periods) - 0.01)
    assert meter.jitter_ms(50) == pytest.approx(0.0, abs=1e-6)
    assert meter.jitter_ms(100) == pytest.approx(3.0, abs=1e-6)
    assert meter.jitter_ms(99.5) == pytest.approx(np.percentile(deviations, 99.5) * 1e3, abs=1e-6)
    assert 2.0 <= meter.jitter_ms(99.5) <= 3.0


def test_longest_gap_and_reset_gap():
    meter = ticked([0.0, 0.01, 0.25, 0.26])
    assert meter.longest_gap == pytest.approx(0.24)
    meter.reset_gap()
    assert meter.longest_gap == 0.0
    assert meter.count == 3  # the periods are kept
    meter.tick(0.29)
    assert meter.longest_gap == pytest.approx(0.03)


def test_time_going_backwards_is_not_a_period():
    meter = ticked([10.0, 10.01, 5.0])
    assert meter.count == 1
    assert meter.longest_gap == pytest.approx(0.01)
    assert meter.rate_hz() == pytest.approx(100.0)
    meter.tick(5.02)  # measured from the new (earlier) time: the clock was reset
    assert meter.count == 2
    assert meter.longest_gap == pytest.approx(0.02)


def test_window_keeps_only_the_last_periods():
    meter = ticked([0.0, 1.0, 1.01, 1.02, 1.03], window=3)  # the 1 s period falls out
    assert meter.count == 3
    assert meter.rate_hz() == pytest.approx(100.0)
    assert meter.jitter_ms(100) == pytest.approx(0.0, abs=1e-6)
    assert meter.longest_gap == pytest.approx(1.0)  # longest_gap is not windowed


def test_equal_times_are_zero_periods():
    meter = ticked([1.0, 1.0, 1.01])
    assert meter.count == 2
    assert meter.longest_gap == pytest.approx(0.01)


def test_rate_with_only_zero_periods_does_not_raise():
    meter = ticked([7.0, 7.0, 7.0])  # the loop ticks, the clock does not move
    rate = meter.rate_hz()
    assert rate == rate and rate >= 0.0  # a number, not NaN
