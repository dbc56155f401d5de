# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Where inference runs, so that a control tick never waits for it.

`ThreadedRunner` runs each job in one background thread (the robot). `SimulatedLatencyRunner`
computes the job at once but hands the result out only when the injected clock has moved
past the job's start plus a latency: deterministic closed-loop tests and evaluations on
simulated time, with inference as late as it would be on the robot.

Both take at most one job at a time: a new request while one is in flight is refused,
so results arrive in order and each is based on the newest observation at its start.
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
from typing import Any, Callable

from .clock import Clock


@dataclass
class JobResult:
    tag: Any  # what the caller attached to the job (e.g. its observation time)
    value: Any = None
    error: BaseException | None = None
    latency: float = 0.0  # seconds from submit to result, on the runner's clock


class ThreadedRunner:
    """
    Runs each job in one background thread.

    A result of a job submitted before the last `discard()` is dropped.
    """

    def __init__(self, clock: Clock, name: str = 'imle-inference'):
        self._clock = clock
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._job: tuple[Callable[[], Any], Any, float] | None = None
        self._result: JobResult | None = None
        self._busy = False
        self._stopped = False
        self._generation = 0
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._busy

    def submit(self, job: Callable[[], Any], tag: Any = None) -> bool:
        with self._lock:
            if self._busy or self._stopped:
                return False
            self._busy = True
            self._job = (job, tag, self._clock.now())
        self._wake.set()
        return True

    def poll(self) -> JobResult | None:
        with self._lock:
            result, self._result = self._result, None
            return result

    def discard(self) -> None:
        """Forget the pending result (after a reset); a job still running is dropped when done."""
        with self._lock:
            self._result = None
            self._generation += 1

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5.0)

    def _loop(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            self._run_pending()

    def _run_pending(self) -> None:
        with self._lock:
            if self._job is None:
                return
            (job, tag, started), self._job = self._job, None
            generation = self._generation
        result = _run(job, tag)
        with self._lock:
            result.latency = self._clock.now() - started
            if generation == self._generation:
                self._result = result
            self._busy = False


class SimulatedLatencyRunner:
    """Computes each job at once; hands its result out only after a latency on the clock."""

    def __init__(self, clock: Clock, latency: float | Callable[[JobResult], float] = 0.0):
        """
        Take the clock to wait on and the latency of each job.

        latency: seconds, or a function of the finished job (e.g. its measured compute
        time, to simulate a slower computer) returning seconds.
        """
        self._clock = clock
        self._latency = latency
        self._pending: tuple[JobResult, float] | None = None

    @property
    def busy(self) -> bool:
        return self._pending is not None

    def submit(self, job: Callable[[], Any], tag: Any = None) -> bool:
        if self._pending is not None:
            return False
        result = _run(job, tag)
        latency = self._latency(result) if callable(self._latency) else float(self._latency)
        result.latency = latency
        self._pending = (result, self._clock.now() + latency)
        return True

    def poll(self) -> JobResult | None:
        if self._pending is None or self._clock.now() < self._pending[1]:
            return None
        result, self._pending = self._pending[0], None
        return result

    def discard(self) -> None:
        self._pending = None

    def stop(self) -> None:
        self._pending = None


def _run(job: Callable[[], Any], tag: Any) -> JobResult:
    try:
        return JobResult(tag=tag, value=job())
    except Exception as exc:  # reported to the controller, which holds the arm
        return JobResult(tag=tag, error=exc)
