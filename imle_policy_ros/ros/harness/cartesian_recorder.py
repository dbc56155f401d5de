# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What the Cartesian safety invariants need, recorded from outside the policy node.

The end-effector counterpart of safety_recorder.SafetyRecorder, for command_interface pose
or twist, with its inputs, blind windows and API (records, records_since, mark_blind,
report). Command messages are judged as they arrive, keeping counts, violations and what
pairing needs, not the messages:

  PoseStamped   in the base frame, 7 finite values, a unit quaternion, inside the
                workspace, and the step from the previous message within the speed
                limits at the two stamps. A start at the measured pose may jump
                (check_cartesian_stream's rule), so a step beyond the limits is a violation
                unless a tick since the previous message was from_measured by its
                command_info; with no command_info for it, it is counted as unjudged
  TwistStamped  in the base frame, 6 finite values, |linear| <= max_linear_speed and
                |angular| <= max_angular_speed, and exactly zero where its command_info
                says it is a hold
  gripper       forward_command's Float64MultiArray or joint_trajectory's JointTrajectory:
                one finite position of the gripper joint; no two changes of it within
                gripper_min_dwell by their receive times (GRIPPER_RECEIVE_TOLERANCE),
                unless the second was made at a from_measured tick, to the measured state
                (the controller's rule; counted in gripper_reset_within_dwell).
                gripper_action goals are not a topic: only the records' gripper is judged

Pairing. A command message and its `~/command_info` record carry the same tick time: the
message as a builtin Time (messages.seconds_to_stamp), the record as float64 seconds, so
seconds_to_stamp of the record's time is the message's stamp, to the nanosecond. A record
gets its message's frame_id (the base frame when the message was not received, counted as
unjudged) and the records are judged by control.cartesian_invariants.check_cartesian_stream.

Inputs: the cameras, the joints the node reads from the joint states (the gripper finger,
extra state joints; none: joint states are not an input), and the measured pose on
ee_pose_topic, valid when in the base frame, finite and of a unit quaternion (what the node
accepts). check_input_freshness judges them all. Measured starts are judged against the
/ee_pose stream (cartesian_judges.measured_starts, MEASURED_TOLERANCE_S): at a pose the
robot published, and when the start jumps, at one no older than MEASURED_WINDOW_S[0]
(an older one is where the arm was, not where it is).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
import math
import time

from geometry_msgs.msg import PoseStamped, TwistStamped
import numpy as np
from rclpy.qos import QoSProfile, ReliabilityPolicy
from std_msgs.msg import Float64MultiArray
from trajectory_msgs.msg import JointTrajectory

from .cartesian_judges import (
    CartesianSetup,
    judge_gripper_gaps,
    judge_steps,
    judge_twist_holds,
    measured_starts,
    ns,
)
from .safety_recorder import FRESHNESS_TOLERANCE, SafetyRecorder
from .. import messages
from ..command_info import cartesian_record_of
from ...control.cartesian_executor import turn_angle
from ...control.cartesian_invariants import (
    ANGULAR_TOLERANCE,
    check_cartesian_stream,
    HOLD_TOLERANCE,
    LINEAR_TOLERANCE,
)
from ...control.safety_invariants import check_input_freshness, InvariantReport
from ...runtime import rotations

# The output bounds a twist to the speed limit by scaling (vector * limit / norm): its norm
# is the limit to a few ulps. 1e-9 m/s (rad/s) is float noise only.
TWIST_TOLERANCE = 1e-9
# Gripper changes are timed on arrival: two messages' transport delays differ by the
# latency jitter, a few ms on loopback, tens under load on 2 shared cores. 0.1 s covers
# that and is still a fifth of the default 0.5 s dwell, so chatter at anything near the
# control rate cannot hide in it (the records' dwell is judged exactly, on tick times).
GRIPPER_RECEIVE_TOLERANCE = 0.1  # s
# Measured starts. The node starts from the newest pose it had, one the robot published
# (clipped into the workspace and normalized, as CartesianExecutor.start_from does). The
# observer takes the nearest of the valid poses it saw stamped within MEASURED_WINDOW_S
# of the tick: up to 0.2 s before (the pose's transport under load) and 0.05 s after (a
# pose may arrive between the tick's clock read and its use), so the distance is 0 when the
# observer got the message the node used. One it missed is a publish period (10 ms at
# 100 Hz) from its neighbours: MEASURED_TOLERANCE_S, 2.5 periods at the speed limits,
# covers a missed pair (0.01 m at 0.4 m/s). That is a fifth of max_tracking_error, so a
# start from the last command instead of the arm (an arm that does not follow is up to
# max_tracking_error from it) is caught.
MEASURED_TOLERANCE_S = 0.025
MEASURED_WINDOW_S = (0.2, 0.05)  # s before and after the tick


def _stamp_ns(stamp) -> int:
    return stamp.sec * 1_000_000_000 + stamp.nanosec


class CartesianRecorder(SafetyRecorder):
    """Records and judges an end-effector node's commands and inputs (module docstring)."""

    def __init__(self, node, setup: CartesianSetup, info_topic: str = '/imle_policy/command_info'):
        # set before the subscriptions exist: the probe's executor may call them at once
        self.setup = setup
        self.base_frame = setup.base_frame
        self._frames: dict[int, str] = {}  # command message stamp (ns) -> its frame_id
        self._moving_twists: set[int] = set()  # stamps (ns) of twists that are not zero
        self._steps: list[tuple[int, int, str]] = []  # (previous ns, ns, what): too far
        self._previous_pose: tuple[int, np.ndarray] | None = None
        self._gripper_gaps: list[tuple[float, float, float, str]] = []  # see cartesian_judges
        self.gripper_messages = 0
        self._last_gripper: float | None = None
        self.gripper_changes: list[tuple[float, float]] = []  # (receive time, position)
        # changes within the dwell that a from_measured tick made (the last report's count)
        self.gripper_reset_within_dwell = 0
        self.refused_inputs: Counter = Counter()  # inputs the node must refuse, by why
        self.ee_poses: list[np.ndarray] = []  # [7] per valid measured pose
        super().__init__(
            node,
            setup.limits,
            setup.stale_timeout,
            setup.joint_names,
            setup.image_topics,
            setup.joint_state_topic,
            setup.command_topic,
            setup.command_interface,
            info_topic,
        )
        self.input_stamps['ee_pose'] = []
        sensor = QoSProfile(depth=50, reliability=ReliabilityPolicy.BEST_EFFORT)
        node.create_subscription(PoseStamped, setup.ee_pose_topic, self._on_ee_pose, sensor)
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        if setup.gripper_interface == 'forward_command':
            node.create_subscription(
                Float64MultiArray, setup.gripper_topic, self._on_gripper_positions, reliable
            )
        elif setup.gripper_interface == 'joint_trajectory':
            node.create_subscription(
                JointTrajectory, setup.gripper_topic, self._on_gripper_trajectory, reliable
            )

    def _subscribe_commands(self, node, topic: str, interface: str, qos) -> None:
        judges = {'pose': (PoseStamped, self._on_pose), 'twist': (TwistStamped, self._on_twist)}
        message_type, judge = judges[interface]
        node.create_subscription(message_type, topic, judge, qos)

    # ---- recording ----------------------------------------------------------------------
    def _on_info(self, msg):
        record = cartesian_record_of(msg)
        with self._lock:
            self.records.append(record)

    def _on_pose(self, msg: PoseStamped):
        where = f'pose command {self.command_messages}'
        stamp = _stamp_ns(msg.header.stamp)
        pose = messages.pose_values(msg.pose)
        problems = self._frame_problems(where, msg.header.frame_id)
        if not np.all(np.isfinite(pose)):
            self._count_command(problems + [f'{where}: not finite {pose.tolist()}'], stamp, msg)
            return
        why = rotations.quaternion_problem(pose[3:])
        if why:
            problems.append(f'{where}: {why}')
        if not self.limits.contains(pose):
            problems.append(
                f'{where}: position {pose[:3].round(4).tolist()} outside the workspace'
            )
        step = self._step(where, stamp, pose) if not why else None
        self._count_command(problems, stamp, msg, step)

    def _step(self, where: str, stamp: int, pose: np.ndarray) -> tuple[int, int, str] | None:
        """Return the step from the previous pose if it is beyond the limits, else None."""
        previous, self._previous_pose = self._previous_pose, (stamp, pose)
        if previous is None:
            return None
        before_stamp, before = previous
        distance = float(np.linalg.norm(pose[:3] - before[:3]))
        angle = float(turn_angle(before[3:], pose[3:]))
        dt = (stamp - before_stamp) * 1e-9
        limits = self.limits
        if dt <= 0:
            if distance <= HOLD_TOLERANCE and angle <= HOLD_TOLERANCE:
                return None
            what = f'moved {distance:.6f} m, {angle:.6f} rad while its stamp went back {-dt} s'
        elif (
            distance <= limits.max_linear_speed * dt + LINEAR_TOLERANCE
            and angle <= limits.max_angular_speed * dt + ANGULAR_TOLERANCE
        ):
            return None
        else:
            what = (
                f'moved {distance:.6f} m and {angle:.6f} rad in {dt * 1e3:.2f} ms (limits '
                f'{limits.max_linear_speed} m/s, {limits.max_angular_speed} rad/s)'
            )
        return before_stamp, stamp, f'{where}: {what}'

    def _on_twist(self, msg: TwistStamped):
        where = f'twist command {self.command_messages}'
        stamp = _stamp_ns(msg.header.stamp)
        t = msg.twist
        linear = np.array([t.linear.x, t.linear.y, t.linear.z])
        angular = np.array([t.angular.x, t.angular.y, t.angular.z])
        problems = self._frame_problems(where, msg.header.frame_id)
        if not (np.all(np.isfinite(linear)) and np.all(np.isfinite(angular))):
            problems.append(f'{where}: not finite {linear.tolist()} {angular.tolist()}')
        else:
            for name, vector, limit in (
                ('linear', linear, self.limits.max_linear_speed),
                ('angular', angular, self.limits.max_angular_speed),
            ):
                if float(np.linalg.norm(vector)) > limit + TWIST_TOLERANCE:
                    problems.append(
                        f'{where}: {name} speed {np.linalg.norm(vector):.6f} over the limit '
                        f'{limit}'
                    )
        moving = bool(np.any(linear != 0.0) or np.any(angular != 0.0))
        with self._lock:
            if moving:
                self._moving_twists.add(stamp)
        self._count_command(problems, stamp, msg)

    def _frame_problems(self, where: str, frame_id: str) -> list[str]:
        if frame_id == self.base_frame:
            return []
        return [f'{where}: in frame {frame_id!r}, not the base frame {self.base_frame!r}']

    def _count_command(self, problems, stamp: int | None = None, msg=None, step=None):
        with self._lock:
            self.command_messages += 1
            self.command_violations += problems
            if stamp is not None:
                self._frames[stamp] = msg.header.frame_id
            if step is not None:
                self._steps.append(step)

    def _on_gripper_positions(self, msg: Float64MultiArray):
        self._gripper(list(msg.data), 'gripper command')

    def _on_gripper_trajectory(self, msg: JointTrajectory):
        where = 'gripper trajectory'
        try:
            names, _, points = messages.trajectory_positions_at_start(msg)
        except ValueError as exc:
            self._gripper([], f'{where}: {exc}')
            return
        if list(names) != [self.setup.gripper_joint] or len(points) != 1:
            self._gripper([], f'{where} for {list(names)} with {len(points)} points')
            return
        self._gripper(list(points[0]), where)

    def _gripper(self, values: list, what: str):
        received = time.time()  # on the clock the node's ticks use (ROS time, no sim time)
        with self._lock:
            where = f'{what} {self.gripper_messages}'
            self.gripper_messages += 1
            if len(values) != 1 or not math.isfinite(float(values[0])):
                self.command_violations.append(f'{where}: not one finite position {values}')
                return
            value = float(values[0])
            changes, dwell = self.gripper_changes, self.setup.min_gripper_dwell
            if self._last_gripper is not None and value != self._last_gripper:
                if changes and received - changes[-1][0] < dwell - GRIPPER_RECEIVE_TOLERANCE:
                    gap = received - changes[-1][0]
                    what = (
                        f'{where}: changed to {value} {gap:.3f} s after the last change '
                        f'(gripper_min_dwell {dwell} s)'
                    )
                    self._gripper_gaps.append((changes[-1][0], received, value, what))
                changes.append((received, value))
            self._last_gripper = value

    def _on_ee_pose(self, msg: PoseStamped):
        pose = messages.pose_values(msg.pose)
        if msg.header.frame_id != self.base_frame:
            why = 'ee_pose in another frame'
        elif not np.all(np.isfinite(pose)):
            why = 'ee_pose not finite'
        elif rotations.quaternion_problem(pose[3:]):
            why = 'ee_pose not a unit quaternion'
        else:
            with self._lock:
                self.input_stamps['ee_pose'].append(messages.stamp_seconds(msg.header.stamp))
                self.ee_poses.append(pose)
            return
        with self._lock:
            self.refused_inputs[why] += 1

    # ---- queries ------------------------------------------------------------------------
    @property
    def moving_twists(self) -> int:
        """Return how many twist commands were not zero."""
        with self._lock:
            return len(self._moving_twists)

    def measured_pose_at(self, t: float) -> np.ndarray | None:
        """Return the newest valid measured pose stamped at or before t (None: none yet)."""
        with self._lock:
            stamps, poses = list(self.input_stamps['ee_pose']), list(self.ee_poses)
        order = np.argsort(stamps, kind='stable')
        k = int(np.searchsorted(np.asarray(stamps)[order], t, side='right')) if stamps else 0
        return None if k == 0 else poses[order[k - 1]]

    # ---- judging ------------------------------------------------------------------------
    def report(self) -> InvariantReport:
        """Every invariant over everything recorded so far."""
        with self._lock:
            records = sorted(self.records, key=lambda r: r.seq)
            frames = dict(self._frames)
            steps, gaps = list(self._steps), list(self._gripper_gaps)
            moving = set(self._moving_twists)
            stamps = {name: list(values) for name, values in self.input_stamps.items()}
            poses = list(self.ee_poses)
            report = InvariantReport(violations=list(self.command_violations))
        s = self.setup
        paired = []
        for record in records:
            frame = frames.get(ns(record.time))
            report.unjudged_pairs += frame is None  # its message never came: frame unknown
            paired.append(replace(record, frame_id=frame or s.base_frame))
        report.extend(
            check_cartesian_stream(
                paired, s.limits, s.stale_timeout, s.base_frame, s.min_gripper_dwell
            )
        )
        judge_steps(steps, records, report)
        self.gripper_reset_within_dwell = judge_gripper_gaps(
            gaps, records, s.gripper, GRIPPER_RECEIVE_TOLERANCE, report
        )
        judge_twist_holds(records, moving, report)
        windows = self._blind_windows(stamps)
        seen = [r for r in paired if not any(start <= r.time <= end for start, end in windows)]
        report.unjudged_pairs += len(paired) - len(seen)
        report.extend(check_input_freshness(seen, stamps, s.stale_timeout, FRESHNESS_TOLERANCE))
        report.extend(
            measured_starts(
                seen, stamps['ee_pose'], poses, s.limits, MEASURED_WINDOW_S, MEASURED_TOLERANCE_S
            )
        )
        return report
