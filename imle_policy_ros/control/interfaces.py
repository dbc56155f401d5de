# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What PolicyController is handed, as typed protocols: a policy, an inference runner, a clock.

The node hands it an OnnxPolicy and a ThreadedRunner on ROS time; eval, replay and the
tests hand it the same policy (or a scripted one) and a SimulatedLatencyRunner on
simulated time. Anything with these methods will do.
"""

from __future__ import annotations

from typing import Any, Callable, Protocol

import numpy as np

from .clock import Clock
from .inference_runner import JobResult
from ..runtime.policy import PolicyOutput
from ..runtime.policy_spec import PolicySpec

__all__ = ['Clock', 'InferenceRunner', 'Policy']


class Policy(Protocol):
    spec: PolicySpec

    def encode(self, camera: int, frame: np.ndarray) -> np.ndarray: ...

    def act(
        self,
        features: np.ndarray,
        state: np.ndarray,
        num_samples: int,
        reference: np.ndarray | None = None,
        reference_offset: int = 0,
    ) -> PolicyOutput: ...


class InferenceRunner(Protocol):
    """Runs one inference job at a time, off the control tick."""

    @property
    def busy(self) -> bool: ...

    def submit(self, job: Callable[[], Any], tag: Any = None) -> bool: ...

    def poll(self) -> JobResult | None: ...

    def discard(self) -> None: ...
