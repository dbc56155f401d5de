# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What PolicyController commands: joint positions, or an end-effector pose and a gripper.

PolicyController makes the same decisions for both (when to infer, when to hold, when a
chunk is too late); what differs is here, behind one small interface:

    executor          ChunkExecutor (joints) or CartesianExecutor (pose, SLERP, workspace)
    chunk(...)        a model output as an executable chunk, or why it is refused
    reference(...)    the running chunk where the new one overlaps it, normalized, for
                      temporal consistency (runtime/consistency.py)
    not_following()   why the arm is not following its commands ('' when it is)
    command(...)      the tick's Command: with the gripper decision (GripperChannel:
                      hysteresis, dwell) and the velocity, for end-effector bundles

An end-effector chunk is decoded from the observation's pose (relative actions) and must
lie in the workspace; its consistency reference is the running chunk's absolute targets
re-expressed from the new observation's pose, so that both sides of the comparison are
what the model would have output.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .cartesian_executor import CartesianExecutor, CartesianLimits, PoseChunk
from .chunk_executor import Chunk, ChunkExecutor, JointLimits
from .controller_types import Command, ControllerConfig
from .gripper_channel import GripperChannel
from .observation_history import Observation
from ..runtime import consistency
from ..runtime.policy_spec import PolicySpec

# How far back the commands are kept to compare a late measured pose with: longer than any
# measurement that is not yet stale (stale_observation_timeout is at most 10 s, but a pose
# more than a second late is not one to judge tracking by).
TRACKING_HISTORY_S = 1.0


class JointSpace:
    """Joint position commands, limited per joint."""

    kind = 'joint_position'

    def __init__(self, spec: PolicySpec, limits: JointLimits, config: ControllerConfig):
        if not isinstance(limits, JointLimits):
            raise ValueError('a joint_position bundle needs JointLimits')
        self.executor = ChunkExecutor(limits, config.blend_time)

    def chunk(self, spec: PolicySpec, times, actions, observation: Observation):
        positions = np.asarray(actions, dtype=np.float64)
        if not np.all(np.isfinite(positions)):
            return 'model output is not finite'
        if not self.executor.limits.contains(positions):
            return 'model output outside the position limits'
        return Chunk(times, positions, observation.t_obs)

    def reference(self, spec: PolicySpec, times, active: Chunk, observation: Observation):
        aligned = consistency.aligned_reference(times, active.times, active.positions)
        if aligned is None:
            return None, 0
        reference, offset = aligned
        return spec.action_stats.normalize(reference), offset

    def not_following(self, measured, stamp: float | None) -> str:
        return ''  # a joint controller reports no tracking error the controller could trust

    def commanded(self, now: float, command) -> None:
        pass

    def forget_commands(self) -> None:
        pass

    def reset_gripper(self, measured: float | None, now: float) -> None:
        pass

    def command(self, now, position, hold_reason: str, input_age: float, from_measured: bool):
        return _command(now, position, hold_reason, input_age, from_measured)


class CartesianSpace:
    """End-effector pose commands in the base frame, and the gripper channel."""

    kind = 'ee_pose'

    def __init__(self, spec: PolicySpec, limits: CartesianLimits, config: ControllerConfig):
        if not isinstance(limits, CartesianLimits):
            raise ValueError('an ee_pose bundle needs CartesianLimits (workspace and speeds)')
        assert spec.ee_layout is not None, 'PolicySpec.check: an ee_pose bundle has a layout'
        self.layout = spec.ee_layout
        self.executor = CartesianExecutor(limits, config.blend_time)
        self._recent: deque = deque()  # (time, pose) of the commands of the last second
        gripper = self.layout.gripper
        self.channel = (
            GripperChannel(gripper.threshold, config.gripper_hysteresis, config.gripper_min_dwell)
            if gripper
            else None
        )

    def chunk(self, spec: PolicySpec, times, actions, observation: Observation):
        actions = np.asarray(actions, dtype=np.float64)
        if not np.all(np.isfinite(actions)):
            return 'model output is not finite'
        try:
            poses, gripper = self.layout.decode(actions, self._observed_pose(observation))
        except ValueError as exc:
            return f'model output is not a pose ({exc})'
        if not self.executor.limits.contains(poses):
            return 'model output outside the workspace'
        return PoseChunk(times, poses, observation.t_obs, gripper)

    def reference(self, spec: PolicySpec, times, active: PoseChunk, observation: Observation):
        stored = self.layout.absolute().encode(active.poses, active.gripper)
        aligned = consistency.aligned_reference(times, active.times, stored)
        if aligned is None:
            return None, 0
        reference, offset = aligned
        learned = self.layout.relative_to(reference, self._observed_pose(observation))
        return spec.action_stats.normalize(learned), offset

    def commanded(self, now: float, command) -> None:
        """Keep the moving commands of the last second, for the tracking check."""
        if command is None:
            return
        self._recent.append((now, np.array(command)))
        while self._recent and self._recent[0][0] < now - TRACKING_HISTORY_S:
            self._recent.popleft()

    def forget_commands(self) -> None:
        """Forget what was commanded: the arm may be anywhere (reset, re-enabled, state lost)."""
        self._recent.clear()
        if self.channel is not None:
            self.channel.reset(None, -np.inf)

    def not_following(self, measured, stamp: float | None) -> str:
        """
        Return why the arm is not following, comparing like with like in time.

        The measured pose is compared with the command in force when it was measured, not
        the newest one: a pose that arrives late (but within stale_observation_timeout)
        would otherwise look like an arm left behind, and the hold would pull a following
        arm back to where it was.
        """
        if measured is None or stamp is None:
            return ''
        then = [pose for t, pose in self._recent if t <= stamp]
        if not then:
            return ''  # measured before anything of this motion was commanded
        distance, angle = self.executor.tracking_error_from(then[-1], measured)
        limits = self.executor.limits
        if distance <= limits.max_tracking_error and angle <= limits.max_tracking_angle:
            return ''
        return (
            f'arm not following: the measured pose is {distance:.3f} m / {angle:.2f} rad from '
            f'the command (limits {limits.max_tracking_error} m / {limits.max_tracking_angle} '
            'rad); holding where it is'
        )

    def reset_gripper(self, measured: float | None, now: float) -> None:
        """
        Start the gripper channel from the measured gripper, when it does not know better.

        Only when its state is unknown (a new scene, re-enabled, the arm's state lost): on a
        resume after a hold the channel's own state is what was last commanded, while the
        measured finger may still be travelling toward it; taking that would undo a fresh
        decision within the dwell.
        """
        if self.channel is not None and self.channel.state is None:
            self.channel.reset(measured, now)

    def command(self, now, position, hold_reason: str, input_age: float, from_measured: bool):
        gripper, changed = None, False
        if self.channel is not None:
            if hold_reason:
                gripper = self.channel.state  # a hold keeps the gripper as it is
            else:
                decision = self.channel.update(self.executor.gripper_target(now), now)
                gripper, changed = decision.state, decision.changed
        still = (np.zeros(3), np.zeros(3))
        twist = still if hold_reason else self.executor.last_twist
        return _command(
            now, position, hold_reason, input_age, from_measured, gripper, changed, twist
        )

    @staticmethod
    def _observed_pose(observation: Observation) -> np.ndarray:
        assert observation.ee_poses is not None, 'an ee_pose history records poses'
        return observation.ee_poses[-1]


def _command(
    now, position, hold_reason, input_age, from_measured, gripper=None, changed=False, twist=None
) -> Command:
    return Command(
        now,
        position,
        bool(hold_reason),
        hold_reason,
        input_age=input_age,
        from_measured=from_measured,
        gripper=gripper,
        gripper_changed=changed,
        twist=twist,
    )


def action_space(spec: PolicySpec, limits, config: ControllerConfig):
    """Return the action space of a bundle's kind, with the limits it needs checked."""
    if spec.action_kind == 'ee_pose':
        return CartesianSpace(spec, limits, config)
    return JointSpace(spec, limits, config)
