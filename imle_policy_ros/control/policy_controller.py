# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
PolicyController: time-stamped inputs in, one safe command per control tick out.

Free of ROS and torch; the clock and the inference runner are injected, so every decision
here is tested on simulated time. The ROS node, the simulator evaluation and the soak test
all drive this same object:

    on_frame / on_joint_state / on_ee_pose   as inputs arrive (frames encoded once, here)
    tick()                      at control rate: never waits for inference

What is commanded (joint positions, or an end-effector pose and a gripper) is the business
of control/action_space.py; everything here is the same for both.

Each tick: a finished inference becomes the active chunk (unless it is unusable or its
observation is already too old); the arm holds (repeats its last command, no new motion)
while disabled, while any input is older than `stale_observation_timeout`, or after a
refused chunk; otherwise the next inference is started early enough that its chunk is
ready before the executed part of the current one (action_horizon steps) runs out.

Where the arm is, not where it was told to go: a command never continues from a position
the arm may have left. After a reset, after being re-enabled (the arm may have been moved
while nothing was commanded) and after a hold, the next command starts at the measured
position (`Command.from_measured`). While the arm's state (joint states, or the measured
pose) is stale it is unknown (driver stopped, robot restarting): one hold at the last
command stops a running trajectory, then nothing is commanded until the state is fresh
again, so a robot that comes back is never sent a position it is no longer at. An arm
that does not follow its commands (the measured pose too far from the commanded one)
holds where it is, as after a refused chunk.

A model switch (`stage_policy`) is staged in control/policy_inputs.py and takes over
between inferences; temporal consistency is the rule of runtime/consistency.py, applied in
time (the running chunk evaluated at the new chunk's waypoint times).
"""

from __future__ import annotations

from dataclasses import replace
import threading

import numpy as np

from . import chunk_timing, low_dim_state
from .action_space import action_space
from .cartesian_executor import CartesianLimits, PoseChunk
from .chunk_executor import Chunk, JointLimits
from .controller_types import Command, ControllerConfig, ControllerStats
from .inference_runner import JobResult
from .interfaces import Clock, InferenceRunner, Policy
from .observation_history import Observation, ObservationHistory
from .policy_inputs import PolicyInputs
from ..runtime import consistency
from ..runtime.policy import PolicyOutput
from ..runtime.policy_spec import PolicySpec
from ..settings import replace_flat

AnyChunk = Chunk | PoseChunk  # what the action space executes


class PolicyController:
    def __init__(
        self,
        policy: Policy,
        limits: JointLimits | CartesianLimits,
        clock: Clock,
        runner: InferenceRunner,
        config: ControllerConfig | None = None,
        label: str = '',
    ):
        self.config = config or ControllerConfig()
        self.clock = clock
        self.runner = runner
        self.stats = ControllerStats()
        self.inputs = PolicyInputs(policy, self.stats, label)
        # joints, or the end-effector pose and the gripper (control/action_space.py)
        self.space = action_space(policy.spec, limits, self.config)
        self.executor = self.space.executor
        # tick() runs on the control thread; enable/reset come from service threads: one lock
        # so an operator command never lands in the middle of a tick.
        self._tick_lock = threading.RLock()
        self.enabled = False
        self.holding_reason = 'disabled'
        self._last_tick: float | None = None
        self._inputs_since = -np.inf  # inputs stamped before this (the last reset) are left out
        self._requested_t_obs = -np.inf
        self._chunks_since_reset = 0
        self._overrun_counted = False
        self._refused = ''  # why the last chunk was refused, until a usable one arrives
        self._arm_state_lost = False  # joint states stale: the arm may be anywhere
        self._stop_sent = False  # the one hold sent after the arm's state was lost
        # the newest usable chunk (executed, or while held the shadow prediction), and the
        # model output and observation it came from (read-only, for visualization)
        self.predicted_chunk: AnyChunk | None = None
        self.predicted_from: tuple[PolicyOutput, Observation] | None = None

    # ---- what runs now ----------------------------------------------------------------
    @property
    def policy(self) -> Policy:
        return self.inputs.policy

    @property
    def spec(self) -> PolicySpec:
        return self.inputs.policy.spec

    @property
    def history(self) -> ObservationHistory:
        return self.inputs.history

    @property
    def policy_label(self) -> str:
        """Name of the running model (its bundle path, on the robot)."""
        return self.inputs.label

    # ---- inputs (any thread) ----------------------------------------------------------
    def on_frame(self, camera: int, stamp: float, frame: np.ndarray) -> str | None:
        """Add a camera frame; return None when accepted, else why it was refused (counted)."""
        if stamp < self._inputs_since:
            return None  # taken before the last reset: the old scene's, left out (not an error)
        not_after = self.clock.now() + self.config.max_future_stamp
        return self.inputs.add(
            self.history.source_name(camera),
            lambda history: history.add_frame(camera, stamp, frame, not_after),
        )

    def on_joint_state(self, stamp: float, names, positions) -> str | None:
        """Add a joint state; return None when accepted, else why it was refused (counted)."""
        if stamp < self._inputs_since:
            return None  # taken before the last reset (see on_frame)
        not_after = self.clock.now() + self.config.max_future_stamp
        return self.inputs.add(
            self.history.source_name(None),
            lambda history: history.add_joint_state(stamp, names, positions, not_after),
        )

    def on_ee_pose(self, stamp: float, pose) -> str | None:
        """Add a measured end-effector pose (ee_pose bundles); None, or why it was refused."""
        if stamp < self._inputs_since or not self.history.uses_ee_pose:
            return None  # before the last reset (see on_frame), or not an input of this model
        not_after = self.clock.now() + self.config.max_future_stamp
        return self.inputs.add('ee_pose', lambda h: h.add_ee_pose(stamp, pose, not_after))

    def reject_input(self, source: str, reason: str) -> str:
        """Count an input refused before it got here (an image that could not be decoded)."""
        return self.inputs.reject(source, reason)

    # ---- settings and model switch ----------------------------------------------------
    def update_config(self, **changes) -> ControllerConfig:
        """
        Change settings while running (e.g. num_samples); return the new config.

        The whole config is replaced between two ticks, checked as at construction
        (SettingError, and nothing changes); a staged model takes it over as it is.
        """
        with self._tick_lock:
            self.config = replace_flat(self.config, changes)
            return self.config

    def stage_policy(self, policy: Policy, label: str = '') -> None:
        """
        Queue `policy` to replace the running one between chunks.

        Raises ModelSwitchRefused (a ValueError) when it cannot; the running policy is
        untouched.
        """
        self.inputs.stage(policy, label)

    @property
    def switch_pending(self) -> bool:
        return self.inputs.switch_pending

    # ---- commands from the operator ---------------------------------------------------
    def enable(self, on: bool) -> None:
        with self._tick_lock:
            if on and not self.enabled:
                # Nothing was commanded while disabled and the arm may have been moved (jogged,
                # a new scene): the next command starts where it is, not where it was left.
                self._forget_commanded_position()
            self.enabled = bool(on)

    def _forget_commanded_position(self) -> None:
        self.executor.clear()
        self.executor.last_command = None
        self.space.forget_commands()

    def reset(self) -> None:
        with self._tick_lock:
            self._reset()

    def _reset(self) -> None:
        """Forget the inputs, the chunks and any inference in flight (a staged model stays)."""
        # A reset starts a new scene: messages taken before it and still in flight (another
        # topic, another thread) must not be taken for the new scene's first observation.
        self._inputs_since = self.clock.now()
        self.inputs.clear()
        self._forget_commanded_position()
        self.runner.discard()
        self.predicted_chunk = self.predicted_from = None
        self._refused = ''
        self._requested_t_obs = -np.inf
        self._chunks_since_reset = 0
        self.holding_reason = 'reset'

    # ---- the control tick -------------------------------------------------------------
    def tick(self, waypoints: bool = False) -> Command:
        with self._tick_lock:
            command = self._tick()
            if waypoints and not command.holding and command.positions is not None:
                command = replace(
                    command, waypoints=self.executor.remaining_waypoints(command.time)
                )
            return command

    @property
    def chunk_ran_out(self) -> bool:
        """
        Tell whether the active chunk ended before the next one was ready, while moving.

        Inference slower than a chunk lasts: the arm holds the chunk's last waypoint, it
        never extrapolates.
        """
        return (
            not self.holding_reason
            and self._last_tick is not None
            and self.executor.chunk_finished(self._last_tick)
        )

    def _tick(self) -> Command:
        now = self.clock.now()
        if self._last_tick is not None and now < self._last_tick:
            self.stats.clock_resets += 1  # e.g. simulation time restarted
            self._reset()
        self._last_tick = now
        new_chunk = self._take_result(now)

        ages = self.history.input_ages(now)
        input_age = max(ages.values())
        stale = [name for name, age in ages.items() if age > self.config.stale_observation_timeout]
        self._track_arm_state(self.history.arm_state_source in stale)
        if not stale and not self.holding_reason and self._check_following(now):
            self.holding_reason = self._hold_reason(stale)
            return self._command(
                now, self.executor.last_command, self.holding_reason, input_age, True
            )
        hold_reason = self._hold_reason(stale)
        if hold_reason:
            if not self.holding_reason:
                self.executor.clear()  # a chunk from before a hold is never resumed
            self.holding_reason = hold_reason
            if not stale and (self.enabled or self.config.shadow_mode):
                self._maybe_infer(
                    now
                )  # shadow mode: keep predicting while held, if inputs are fresh
            position, from_measured = self._hold_position(now)
            return self._command(now, position, hold_reason, input_age, from_measured)

        from_measured = False
        if self.holding_reason:
            # Resume from where the arm is; a chunk predicted during the hold from inputs
            # that are still fresh may start at once.
            measured = self.inputs.measured_actions()
            assert measured is not None, 'the arm state is fresh, so there is a measured position'
            self.executor.start_from(measured, now)
            self.space.reset_gripper(self.inputs.measured_gripper(), now)
            from_measured = True
            self.holding_reason = ''
            candidate = new_chunk or self.predicted_chunk
            if (
                candidate is not None
                and now - candidate.t_obs <= self.config.stale_observation_timeout
            ):
                new_chunk = candidate
        if new_chunk is not None and new_chunk.end_time > now:
            self._start_chunk(new_chunk, now)
        self._maybe_infer(now)
        if self.executor.chunk_finished(now) and not self._overrun_counted:
            self.stats.overruns += 1
            self._overrun_counted = True
        command = self.executor.command(now)
        self.space.commanded(now, command)
        return self._command(now, command, '', input_age, from_measured)

    def _command(self, now, position, hold_reason: str, input_age: float, from_measured: bool):
        return self.space.command(now, position, hold_reason, input_age, from_measured)

    def _check_following(self, now: float) -> bool:
        """Hold at the measured pose when the arm has left its command; True when it did."""
        measured = self.inputs.measured_actions()
        stamp = self.history.latest_stamps().get(self.history.arm_state_source)
        problem = self.space.not_following(measured, stamp)
        if not problem:
            return False
        self.stats.not_following += 1
        self._refuse(problem)
        self.executor.start_from(measured, now)  # the hold is where the arm is, never a jump
        return True

    def _track_arm_state(self, joint_states_stale: bool) -> None:
        if joint_states_stale and not self._arm_state_lost:
            self._arm_state_lost, self._stop_sent = True, False
        elif not joint_states_stale and self._arm_state_lost:
            self._arm_state_lost = False
            self._forget_commanded_position()  # the arm may be anywhere now (a restarted robot)

    def _hold_reason(self, stale: list[str]) -> str:
        if stale:
            return 'stale or missing input: ' + ', '.join(stale)
        if not self.enabled:
            return 'disabled'
        if self._refused:
            return f'refused chunk: {self._refused} (holding until a usable chunk arrives)'
        return ''

    def _hold_position(self, now: float) -> tuple[np.ndarray | None, bool]:
        """(position to hold, whether it is the measured one); None: command nothing."""
        if self._arm_state_lost:
            if self._stop_sent:
                return None, False
            self._stop_sent = True  # one hold stops a trajectory still running on the arm
            return self.executor.last_command, False
        if self.executor.last_command is None:
            joints = self.inputs.measured_actions()
            if joints is None:
                return None, False
            self.executor.start_from(joints, now)  # latched: the hold stays there
            return self.executor.last_command, True
        return self.executor.last_command, False

    def _start_chunk(self, chunk: AnyChunk, now: float) -> None:
        self.stats.last_jump = self.executor.switch_to(chunk, now)
        self.stats.chunks_started += 1
        self._overrun_counted = False

    # ---- inference --------------------------------------------------------------------
    def _maybe_infer(self, now: float) -> None:
        """Start an inference if it is time; called only when every input is fresh."""
        if self.runner.busy:
            return
        self.inputs.swap_if_ready()  # between inferences: a staged model may take over
        observation = self.history.observation()
        if observation is None or observation.t_obs <= self._requested_t_obs:
            return
        # While held, the shadow prediction paces inference as the executed chunk would.
        active = self.executor.active or (self.predicted_chunk if self.holding_reason else None)
        latencies = self.stats.recent_latencies
        if active is not None and now < chunk_timing.replan_time(
            self.spec, self.config, active.t_obs, latencies
        ):
            return
        reference, offset = self._reference_for(observation, active)
        times = self.waypoint_times(observation.t_obs)
        # Without a reference the first sample is taken: drawing one is the same draw, faster.
        num_samples = self.config.num_samples if reference is not None else 1
        policy = self.policy
        state = low_dim_state.state_of(policy.spec, observation)

        def job():
            return policy.act(observation.features, state, num_samples, reference, offset)

        if self.runner.submit(job, tag=(observation, times)):
            self._requested_t_obs = observation.t_obs
            self.stats.inferences += 1

    def waypoint_times(self, t_obs: float) -> np.ndarray:
        return chunk_timing.waypoint_times(self.spec, self.config, t_obs)

    def _reference_for(self, observation: Observation, active: AnyChunk | None):
        """
        Return the running chunk at the new chunk's waypoint times (normalized) and its offset.

        (None, 0) when there is nothing to be consistent with or it is time to let the
        policy change its mind (runtime/consistency.py holds the rule).
        """
        if not self.config.temporal_consistency or active is None:
            return None, 0
        if not consistency.reference_due(
            self._chunks_since_reset, self.config.consistency_reset_every
        ):
            self._chunks_since_reset = 0
            return None, 0
        times = self.waypoint_times(observation.t_obs)
        return self.space.reference(self.spec, times, active, observation)

    def _take_result(self, now: float) -> AnyChunk | None:
        """
        Return the finished inference as a usable chunk, or None.

        None: nothing finished, too late, or refused (a refused chunk also drops the
        running one, so the arm holds).
        """
        result: JobResult | None = self.runner.poll()
        if result is None:
            return None
        observation, times = result.tag
        self.stats.results += 1
        self.stats.last_latency_s = result.latency
        self.stats.recent_latencies = (self.stats.recent_latencies + [result.latency])[-10:]
        if result.error is not None:
            self._refuse(f'inference failed: {result.error}')
            return None
        output = result.value
        self.stats.last_inference_ms = output.inference_ms
        if now - observation.t_obs > self.config.stale_observation_timeout:
            self.stats.late_results += 1  # computed from inputs that are too old by now
            return None
        chunk = self.space.chunk(self.spec, times, output.actions, observation)
        if isinstance(chunk, str):
            self._refuse(chunk)
            return None
        self._refused = ''
        self._chunks_since_reset += 1
        self.predicted_chunk, self.predicted_from = chunk, (output, observation)
        return chunk

    def _refuse(self, why: str) -> None:
        self.stats.chunks_refused += 1
        self.stats.last_error = why
        self._refused = why
        self.executor.clear()
