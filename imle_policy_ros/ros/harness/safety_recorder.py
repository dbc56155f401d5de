# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What the safety invariants need, recorded from outside the policy node.

That is its `~/command_info` stream, every command message, and the inputs it was sent
(which of them it could have used, and when they were stamped). Attached to a probe's node
by the fault tests and `imle-policy-ros soak`; judged by control.safety_invariants.

Command messages are checked as they arrive (finite, within the position limits, each
trajectory segment within the velocity limits at its own times) and only their count and
violations are kept, so a long soak does not keep every message. The joint interfaces'
recorder; pose and twist commands are judged by its subclass in cartesian_recorder.py.

Blind windows: when a publisher of the inputs restarts, the node and this observer each
discover it in their own time, and the observer never gets the messages sent before it
did (volatile topics). From `mark_blind()` (called when the robot process is started
again) until the observer has seen every input again, its own record cannot judge the
node's inputs: the commands of that window are left out of the input checks and counted
as unjudged. The controller's own input_age is still checked for them.
"""

from __future__ import annotations

import threading

import numpy as np
from rclpy.qos import QoSProfile, ReliabilityPolicy
from sensor_msgs.msg import CompressedImage, Image, JointState
from std_msgs.msg import Float64MultiArray
from trajectory_msgs.msg import JointTrajectory

from .. import messages
from ..command_info import record_of
from ..command_outputs import COMMAND_OUTPUTS
from ...cameras.image_codec import ImageRejected
from ...control.chunk_executor import JointLimits
from ...control.safety_invariants import (
    check_command_stream,
    check_input_freshness,
    check_measured_starts,
    check_trajectory,
    InvariantReport,
)

# Inputs the observer may miss (best effort) make its newest stamp older than the one the
# node had: three camera periods at 30 Hz.
FRESHNESS_TOLERANCE = 0.1  # s
# The arm moves between the joint state the observer picks and the one the node had (one
# or two 100 Hz periods, more under load): 0.2 s at 1.5 rad/s covers it.
MEASURED_TOLERANCE_S = 0.2


class SafetyRecorder:
    def __init__(
        self,
        node,
        limits: JointLimits,
        stale_timeout: float,
        joint_names,
        image_topics,
        joint_state_topic: str,
        command_topic: str,
        command_interface: str = 'joint_trajectory',
        info_topic: str = '/imle_policy/command_info',
    ):
        self.limits, self.stale_timeout = limits, stale_timeout
        self.joint_names = tuple(joint_names)
        self._lock = threading.Lock()
        self.records = []  # CommandRecord, in arrival order
        self.command_messages = 0
        self.command_violations: list[str] = []
        self.input_stamps = {f'image {t}': [] for t in image_topics}
        if self.joint_names:  # always for joint bundles; an end-effector one may read none
            self.input_stamps['joint_states'] = []
        self.joint_positions = []  # [D] per valid joint state, in the command order
        self._blind_since: list[float] = []
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        sensor = QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT)
        node.create_subscription(Float64MultiArray, info_topic, self._on_info, reliable)
        self._subscribe_commands(node, command_topic, command_interface, reliable)
        for topic in image_topics:
            kind = CompressedImage if topic.rstrip('/').endswith('/compressed') else Image
            node.create_subscription(
                kind, topic, lambda msg, t=topic: self._on_image(t, msg), sensor
            )
        if self.joint_names:
            node.create_subscription(JointState, joint_state_topic, self._on_joint_state, sensor)

    def _subscribe_commands(self, node, topic: str, interface: str, qos) -> None:
        """Subscribe to the commands with their judge (harness/cartesian_recorder.py: poses)."""
        # each command message type, judged its own way (a new output needs its judge here)
        judges = {JointTrajectory: self._on_trajectory, Float64MultiArray: self._on_positions}
        message_type = COMMAND_OUTPUTS[interface].message_type()
        node.create_subscription(message_type, topic, judges[message_type], qos)

    # ---- recording ----------------------------------------------------------------------
    def _on_info(self, msg):
        record = record_of(msg)
        with self._lock:
            self.records.append(record)

    def _on_trajectory(self, msg: JointTrajectory):
        where = f'trajectory {self.command_messages}'
        # A malformed command is a violation to count, never an exception: one raised here
        # would stop the probe's executor and every later command would go unjudged.
        try:
            names, times, points = messages.trajectory_positions_at_start(msg)
        except ValueError as exc:
            self._count_command([f'{where}: {exc}'])
            return
        missing = [n for n in self.joint_names if n not in names]
        if missing:
            self._count_command([f'{where}: joints {missing} missing from {names}'])
            return
        index = [names.index(n) for n in self.joint_names]
        self._count_command(check_trajectory(times, points[:, index], self.limits, where=where))

    def _on_positions(self, msg: Float64MultiArray):
        self._count_command(
            check_trajectory(
                [1.0],
                [list(msg.data)],
                self.limits,
                where=f'position command {self.command_messages}',
            )
        )

    def _count_command(self, problems):
        with self._lock:
            self.command_messages += 1
            self.command_violations += problems

    def _on_image(self, topic: str, msg):
        try:
            messages.image_to_frame(msg)
        except ImageRejected:
            return  # the node must refuse it: not an input it could use
        with self._lock:
            self.input_stamps[f'image {topic}'].append(messages.stamp_seconds(msg.header.stamp))

    def _on_joint_state(self, msg: JointState):
        names, positions = list(msg.name), np.asarray(msg.position, dtype=np.float64)
        if len(names) != len(positions) or any(n not in names for n in self.joint_names):
            return
        q = positions[[names.index(n) for n in self.joint_names]]
        if not np.all(np.isfinite(q)):
            return
        with self._lock:
            self.input_stamps['joint_states'].append(messages.stamp_seconds(msg.header.stamp))
            self.joint_positions.append(q)

    def mark_blind(self, since: float) -> None:
        """
        Mark that an input publisher (re)starts at `since` (wall time).

        See the module docstring.
        """
        with self._lock:
            self._blind_since.append(since)

    # ---- judging ------------------------------------------------------------------------
    def _blind_windows(self, stamps: dict) -> list[tuple[float, float]]:
        windows = []
        for start in self._blind_since:
            firsts = [
                min((t for t in values if t > start), default=np.inf) for values in stamps.values()
            ]
            windows.append((start, max(firsts)))
        return windows

    def records_since(self, t: float):
        with self._lock:
            return [r for r in self.records if r.time >= t]

    def report(self) -> InvariantReport:
        """Every invariant over everything recorded so far."""
        with self._lock:
            records = sorted(self.records, key=lambda r: r.seq)
            stamps = {name: list(values) for name, values in self.input_stamps.items()}
            joints = list(self.joint_positions)
            report = InvariantReport(violations=list(self.command_violations))
        report.extend(check_command_stream(records, self.limits, self.stale_timeout))
        windows = self._blind_windows(stamps)
        seen = [r for r in records if not any(start <= r.time <= end for start, end in windows)]
        report.unjudged_pairs += len(records) - len(seen)
        report.extend(check_input_freshness(seen, stamps, self.stale_timeout, FRESHNESS_TOLERANCE))
        tolerance = float(self.limits.velocity.max()) * MEASURED_TOLERANCE_S
        report.extend(
            check_measured_starts(seen, stamps['joint_states'], joints, self.limits, tolerance)
        )
        return report
