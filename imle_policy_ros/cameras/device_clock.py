# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Camera hardware timestamps -> host clock.

The policy stamps every action chunk with the time of the observation it came from, so a
frame's stamp must be when it was *captured*, not when Python got around to it. Cameras
stamp frames with their own clock (RealSense: the device's hardware clock, in ms since it
powered up), which is precise but has an unknown offset from the host clock.

For each frame, host_receive_time - device_time = offset + transport latency. Latency is
never negative, so the smallest value seen is the closest to the true offset: taking the
minimum over a sliding window gives an offset that is late by only the smallest latency
observed (USB + driver, typically a few ms), and the same for every frame, so the spacing
between frames keeps the camera's own precision instead of the host's scheduling jitter.
The window slides (rather than keeping the all-time minimum) so that the slow drift between
the two oscillators (tens of ppm) is followed.

A falling offset is adopted at once: it can only mean a frame with less latency than any
before, or a device clock that jumped forward. A *rising* offset larger than
`jump_threshold_s` is either one frame delayed by a stalled host, or a device clock that
restarted (reset, wrap-around). One frame does not tell which, so it is stamped with its
receive time (late by its latency, never wildly wrong) and, when `confirm_frames` frames in
a row agree, the estimate is re-anchored on them instead of waiting a whole window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class ClockSyncConfig:
    # Long enough to contain a frame that saw little latency, short enough that drift
    # (tens of ppm -> tens of microseconds per second) stays negligible.
    window_s: float = 2.0
    # Far above USB/driver jitter (ms), below anything a policy would tolerate as an error.
    jump_threshold_s: float = 0.1
    # Consecutive high frames needed before trusting them as a new device clock base.
    confirm_frames: int = 3


class DeviceClockSync:
    """Translates device timestamps (seconds, the camera's time base) into host time."""

    def __init__(self, config: ClockSyncConfig = ClockSyncConfig()):
        if config.window_s <= 0 or config.jump_threshold_s <= 0 or config.confirm_frames < 1:
            raise ValueError(f'invalid clock sync settings: {config}')
        self.config = config
        # (host_time, offset) with increasing offsets: the front is the window's minimum.
        self._window: deque[tuple[float, float]] = deque()
        self._pending: list[tuple[float, float]] = []  # high offsets awaiting confirmation
        self.reanchors = 0  # how often the device clock was taken to have jumped

    @property
    def offset_s(self) -> float | None:
        """Return the current estimate of host_time - device_time (None before the first frame)."""
        return self._window[0][1] if self._window else None

    def reset(self) -> None:
        self._window.clear()
        self._pending.clear()

    def to_host(self, device_time: float, host_receive_time: float) -> float:
        """
        Update the estimate with one frame and return its capture time on the host clock.

        The capture time is never later than host_receive_time (a frame cannot be captured
        after it arrived).
        """
        offset = host_receive_time - device_time
        estimate = self.offset_s
        if estimate is not None and offset - estimate > self.config.jump_threshold_s:
            self._pending.append((host_receive_time, offset))
            if len(self._pending) < self.config.confirm_frames:
                return host_receive_time
            # The high offsets persisted: the device clock restarted. Start over from them.
            pending, self._pending = self._pending, []
            self._window.clear()
            self.reanchors += 1
            for host_time, pending_offset in pending:
                self._push(host_time, pending_offset)
        else:
            self._pending.clear()
            self._push(host_receive_time, offset)
        return min(device_time + self.offset_s, host_receive_time)

    def _push(self, host_time: float, offset: float) -> None:
        # Monotonic deque: an older sample with a larger offset can never be the minimum
        # again once a smaller one has arrived after it, so it is dropped right away.
        while self._window and self._window[-1][1] >= offset:
            self._window.pop()
        self._window.append((host_time, offset))
        while self._window[0][0] < host_time - self.config.window_s:
            self._window.popleft()
