# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A callback at a fixed rate in its own thread, on absolute deadlines.

Why not a ROS timer: rclpy's executors add their dispatch latency to every period, and its
MultiThreadedExecutor (Jazzy) busy-loops. `python bench/bench_executors.py` on a 2-core
machine, 100 Hz tick with a 30 Hz image and a 100 Hz joint-state subscription: timer under
the MultiThreadedExecutor p99 5.1 ms at 61% CPU; a plain thread beside a
MultiThreadedExecutor p99 87 ms (max 541 ms) at 103% CPU; timer under a
SingleThreadedExecutor 0.14 ms; plain thread beside a SingleThreadedExecutor 0.30 ms. But
a single-threaded executor also runs the camera callbacks, and a 100 Hz control loop must
not wait for a frame to be encoded. So the control loop owns a
thread. Deadlines are absolute (period k is due at start + k * period), so jitter does not
accumulate into drift; when a tick runs late by more than a period, the missed ticks are
skipped, not replayed in a burst.
"""

from __future__ import annotations

import threading
import time
from typing import Callable


class PeriodicLoop:
    def __init__(
        self,
        period: float,
        callback: Callable[[], None],
        name: str = 'periodic',
        on_error: Callable[[BaseException], None] | None = None,
    ):
        if not period > 0:
            raise ValueError(f'period must be > 0, got {period}')
        self.period = float(period)
        self._callback = callback
        self._on_error = on_error
        self._stop = threading.Event()
        self.skipped_ticks = 0
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> 'PeriodicLoop':
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        start = time.monotonic()
        k = 0
        while not self._stop.is_set():
            try:
                self._callback()
            except Exception as exc:  # reported, and the loop goes on: a robot must keep its hold
                if self._on_error is None:
                    raise
                self._on_error(exc)
            k += 1
            now = time.monotonic()
            due = start + k * self.period
            if now > due + self.period:  # fell behind: skip to the next future deadline
                missed = int((now - due) // self.period)
                self.skipped_ticks += missed
                k += missed
                due = start + k * self.period
            self._stop.wait(max(0.0, due - time.monotonic()))
