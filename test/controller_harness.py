# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A scripted policy and a simulated-time driver for PolicyController tests.

The policy's N samples come from a function the test chooses, and its selection is the
runtime's own `consistency.choose`, so the tests exercise the controller's decisions
(timing, reference, holds) with outputs they can predict.
"""

from __future__ import annotations

from imle_policy_ros.control.chunk_executor import JointLimits
from imle_policy_ros.control.clock import SimulatedClock
from imle_policy_ros.control.inference_runner import SimulatedLatencyRunner
from imle_policy_ros.control.policy_controller import ControllerConfig, PolicyController
from imle_policy_ros.runtime.consistency import choose
from imle_policy_ros.runtime.normalization import MinMaxStats
from imle_policy_ros.runtime.policy import PolicyOutput
from imle_policy_ros.runtime.policy_spec import CameraSpec, PolicySpec
import numpy as np

JOINTS = ('a', 'b')
DT = 0.1


def make_spec(obs_horizon=2, pred_horizon=16, action_horizon=8, cameras=('top',)) -> PolicySpec:
    stats = MinMaxStats(np.full(2, -2.0, np.float32), np.full(2, 2.0, np.float32))
    return PolicySpec(
        cameras=tuple(CameraSpec(c, 8, 8) for c in cameras),
        state_names=JOINTS,
        action_names=JOINTS,
        action_kind='joint_position',
        obs_horizon=obs_horizon,
        pred_horizon=pred_horizon,
        action_horizon=action_horizon,
        dt=DT,
        feature_dim=4,
        state_stats=stats,
        action_stats=stats,
    )


def make_ee_spec(layout) -> PolicySpec:
    """Return an ee_pose spec of `layout` (state stats +-2, action stats +-1 in every dim)."""
    dims, state_dims = len(layout.action_names), len(layout.state_names)
    return PolicySpec(
        cameras=(CameraSpec('top', 8, 8),),
        state_names=layout.state_names,
        action_names=layout.action_names,
        action_kind='ee_pose',
        obs_horizon=2,
        pred_horizon=16,
        action_horizon=8,
        dt=DT,
        feature_dim=4,
        state_stats=MinMaxStats(
            np.full(state_dims, -2.0, np.float32), np.full(state_dims, 2.0, np.float32)
        ),
        action_stats=MinMaxStats(np.full(dims, -1.0, np.float32), np.full(dims, 1.0, np.float32)),
        ee_layout=layout,
    )


class ScriptedPolicy:
    """samples_fn(joints [To, S], call_index) -> action chunks [N, Tp, A] in action units."""

    def __init__(self, spec: PolicySpec, samples_fn):
        self.spec = spec
        self.samples_fn = samples_fn
        # (joints, reference (normalized) or None, offset, chosen chunk in action units)
        self.calls = []
        self.num_samples_asked = []  # N the controller asked for, per call

    def encode(self, camera: int, frame: np.ndarray) -> np.ndarray:
        return np.full(self.spec.feature_dim, float(np.mean(frame)), np.float32)

    def act(
        self, features, joint_positions, num_samples, reference=None, reference_offset=0
    ) -> PolicyOutput:
        chunks = np.asarray(self.samples_fn(joint_positions, len(self.calls)), dtype=np.float64)
        normalized = self.spec.action_stats.normalize(chunks)
        index = choose(normalized, reference, reference_offset)
        self.num_samples_asked.append(num_samples)
        self.calls.append((np.array(joint_positions), reference, reference_offset, chunks[index]))
        return PolicyOutput(chunks[index], index, normalized, 1.0, reference is not None)


def ramp(start, velocity, spec: PolicySpec):
    """
    Return a chunk that moves from `start` at `velocity` per second.

    Waypoint k is reached at (k - (To-1) + 1) * dt after the observation.
    """
    k = np.arange(spec.pred_horizon) - (spec.obs_horizon - 1) + 1
    return np.asarray(start, float)[None] + np.outer(k * spec.dt, velocity)


class Rig:
    """Controller + simulated clock + a fake arm that follows commands exactly."""

    def __init__(
        self,
        policy,
        latency=0.0,
        control_period=0.01,
        frame_period=DT,
        limits=None,
        config: ControllerConfig | None = None,
        start=(0.0, 0.0),
    ):
        self.clock = SimulatedClock(0.0)
        self.runner = SimulatedLatencyRunner(self.clock, latency)
        limits = limits or JointLimits.create(2, lower=-1.5, upper=1.5, velocity=2.0)
        self.controller = PolicyController(policy, limits, self.clock, self.runner, config)
        self.control_period = control_period
        self.frame_period = frame_period
        self.joints = np.array(start, float)
        self.camera_on = True
        self.joints_on = True
        self._next_frame = 0.0
        self.commands = []

    def step(self):
        now = self.clock.now()
        if self.camera_on and now >= self._next_frame - 1e-9:
            self.controller.on_frame(0, now, np.full((8, 8, 3), 100, np.uint8))
            self._next_frame = now + self.frame_period
        if self.joints_on:
            self.controller.on_joint_state(now, JOINTS, self.joints)
        cmd = self.controller.tick()
        self.commands.append(cmd)
        if not cmd.holding and cmd.positions is not None:
            self.joints = np.array(cmd.positions)
        self.clock.advance(self.control_period)
        return cmd

    def run(self, seconds):
        steps = int(round(seconds / self.control_period))
        return [self.step() for _ in range(steps)]
