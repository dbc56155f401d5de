# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""DeviceClockSync on simulated cameras: known offset, random positive latency."""

from imle_policy_ros.cameras import ClockSyncConfig, DeviceClockSync
import numpy as np
import pytest

FPS = 30.0
OFFSET = 1.7e9 - 12.5  # host epoch seconds minus a device clock that started 12.5 s ago


def camera(n, start_device=12.5, offset=OFFSET, seed=0):
    """(device_time, host_receive_time, true host capture time) for n frames."""
    rng = np.random.default_rng(seed)
    device = start_device + np.arange(n) / FPS
    latency = 0.004 + rng.exponential(0.006, n)  # USB + driver: >= 4 ms, long tail
    return device, device + offset + latency, device + offset, latency


def test_recovers_offset_within_the_minimum_latency():
    sync = DeviceClockSync()
    device, receive, captured, latency = camera(300)
    stamps = np.array([sync.to_host(d, r) for d, r in zip(device, receive)])
    error = stamps - captured
    assert (error >= 0).all()  # latency is never negative, so neither is the error
    # After the first window, every frame is late by the smallest latency in its window at
    # most: well under the per-frame latency and its jitter.
    first_window = int(2 * FPS)
    settled = error[first_window:]
    assert settled.max() <= latency.max() and settled.max() < 0.006
    assert settled.max() - settled.min() < 0.002  # frame spacing keeps the camera's precision
    assert abs(sync.offset_s - OFFSET) <= latency.min() + 1e-3


def test_stamp_is_never_after_receive():
    sync = DeviceClockSync()
    rng = np.random.default_rng(1)
    for k in range(500):
        device = k / FPS
        receive = device + 100.0 + rng.uniform(0.0, 0.05)
        assert sync.to_host(device, receive) <= receive


def test_faster_device_clock_drift_is_followed():
    sync = DeviceClockSync()
    device, receive, captured, _ = camera(30 * 60)
    drifted = device * (1 + 100e-6)  # device clock runs 100 ppm fast
    stamps = np.array([sync.to_host(d, r) for d, r in zip(drifted, receive)])
    error = (stamps - captured)[-300:]
    assert np.abs(error).max() < 0.01


def test_device_reset_reanchors_within_a_few_frames():
    config = ClockSyncConfig(confirm_frames=3)
    sync = DeviceClockSync(config)
    device, receive, captured, _ = camera(200)
    for d, r in zip(device, receive):
        sync.to_host(d, r)
    # The camera restarts: its clock is back near zero, the host clock carries on.
    d2, r2, c2, _ = camera(100, start_device=0.0, offset=receive[-1] + 1 / FPS, seed=2)
    stamps = np.array([sync.to_host(d, r) for d, r in zip(d2, r2)])
    assert sync.reanchors == 1
    # Frames before the jump is confirmed are stamped with their receive time (late by
    # their latency, not wrong by the device's uptime); afterwards they are precise again.
    np.testing.assert_array_equal(stamps[:2], r2[:2])
    assert (stamps <= r2).all() and (stamps - c2 >= 0).all()
    confirmed, first_window = config.confirm_frames, int(2 * FPS)
    assert (stamps - c2)[confirmed:].max() < 0.05
    assert (stamps - c2)[first_window:].max() < 0.006


def test_one_delayed_frame_does_not_move_the_estimate():
    sync = DeviceClockSync()
    device, receive, captured, _ = camera(100)
    for d, r in zip(device, receive):
        sync.to_host(d, r)
    before = sync.offset_s
    assert sync.to_host(device[-1] + 1 / FPS, receive[-1] + 1 / FPS + 0.5) <= receive[-1] + 0.6
    assert sync.offset_s == before and sync.reanchors == 0
    nxt = device[-1] + 2 / FPS
    assert sync.to_host(nxt, nxt + OFFSET + 0.005) == pytest.approx(nxt + before)


def test_device_clock_jumping_forward_is_adopted_at_once():
    sync = DeviceClockSync()
    for k in range(60):
        sync.to_host(k / FPS, k / FPS + 50.0 + 0.005)
    device = 1000.0  # clock jumped 998 s ahead: offset falls, no confirmation needed
    assert sync.to_host(device, 2.0 + 50.0 + 0.005) == pytest.approx(2.0 + 50.0 + 0.005)
    assert sync.offset_s == pytest.approx(2.0 + 50.0 + 0.005 - device)


def test_invalid_settings_refused():
    with pytest.raises(ValueError, match='invalid clock sync settings'):
        DeviceClockSync(ClockSyncConfig(window_s=0))
