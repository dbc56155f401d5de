# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The safety invariants every end-effector (Cartesian) command stream must keep.

The Cartesian counterpart of `safety_invariants.check_command_stream`, with the same
report (`InvariantReport`) and the same rules on holds, measured starts and tick gaps.
Over the commands in the order they were computed (`CartesianRecord`):

  finite       no NaN or Inf in the pose or the gripper state, ever
  rotation     the quaternion is of unit length (rotations.quaternion_problem)
  frame        the pose is in the base frame (judged where the record carries a frame_id)
  workspace    every position inside the workspace box
  speed        |p_i - p_(i-1)| <= max_linear_speed * dt (the norm of the step) and the turn
               angle <= max_angular_speed * dt, except for a command at the measured pose
               (from_measured: the first, after a reset, a hold or a loss of the pose)
  continuous   consecutive quaternions on the same side (dot >= 0): q and -q are the same
               rotation, but a consumer that interpolates components spins the long way
  holds hold   a hold repeats the previous pose and gripper state, unless from_measured
  fresh        a command that is not a hold comes from inputs at most stale_timeout old
  gripper      no two gripper changes within min_gripper_dwell (no chattering)

Tolerances. Speed: LINEAR_TOLERANCE m and ANGULAR_TOLERANCE rad per step. The executor
limits each step to exactly speed * elapsed in float64 from the tick times the records
carry (the turn angle computed by atan2, exact to ~1e-15 rad); what is left is rounding
of the times: ROS times are epoch seconds, where one float64 step is 2.4e-7 s, times a
speed of a few m/s or rad/s. 1e-6 covers that and is still 2000x smaller than one 10 ms
step at 0.2 m/s, so a real excess cannot hide in it. Holds repeat the previous command
exactly: HOLD_TOLERANCE m and rad is float noise only. Gripper dwell: DWELL_TOLERANCE s,
the rounding of tick times summed from periods.

A gripper change is between two consecutive records with known states; a record with
None (the state unknown, e.g. after a reset to unknown) starts afresh. A change at a
from_measured record is the gripper's measured state, not a decision: it is not judged,
but the dwell of the next change runs from it (as GripperChannel.reset does). Pairs across a gap
in tick numbers (`seq`) are counted as unjudged, never silently passed, as is a dwell
measured from a change seen only across such a gap (its time is not known).
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from .cartesian_executor import CartesianLimits, turn_angle
from .safety_invariants import InvariantReport
from ..runtime import rotations

LINEAR_TOLERANCE = 1e-6  # m per step (see above)
ANGULAR_TOLERANCE = 1e-6  # rad per step
HOLD_TOLERANCE = 1e-9  # m and rad: a hold is an exact repeat; this is float noise only
DWELL_TOLERANCE = 1e-6  # s


@dataclass(frozen=True, eq=False)
class CartesianRecord:
    time: float  # the tick's time on the controller's clock
    pose: np.ndarray  # [7] x, y, z, qx, qy, qz, qw
    gripper: float | None  # the commanded state, 0 open / 1 closed (None: unknown, none)
    holding: bool
    from_measured: bool
    input_age: float  # s, the oldest of the newest inputs at the tick (inf: one missing)
    seq: int | None = None  # tick number, when known
    frame_id: str | None = None  # the message's frame; None: not carried (not judged)

    @classmethod
    def of(cls, command, seq: int | None = None, frame_id: str | None = None) -> 'CartesianRecord':
        """From a control.Command of an ee_pose bundle (the caller skips those with no pose)."""
        return cls(
            float(command.time),
            np.array(command.positions, dtype=np.float64),
            command.gripper,
            bool(command.holding),
            bool(command.from_measured),
            float(command.input_age),
            seq,
            frame_id,
        )


@dataclass
class _Change:
    time: float
    timed: bool  # False when seen only across a gap in the ticks: its time is not known


def check_cartesian_stream(
    records,
    limits: CartesianLimits,
    stale_timeout: float,
    base_frame: str,
    min_gripper_dwell: float,
) -> InvariantReport:
    """Judge a Cartesian command stream against every invariant above."""
    report = InvariantReport(checked=len(records))
    previous: CartesianRecord | None = None
    last_change: _Change | None = None
    for i, record in enumerate(records):
        where = f'command {i} at t={record.time:.3f}'
        pose = np.asarray(record.pose, dtype=np.float64).reshape(-1)
        consecutive = _consecutive(previous, record)
        if previous is not None and not consecutive and not record.from_measured:
            report.unjudged_pairs += 1
        last_change = _check_gripper(
            previous, record, consecutive, last_change, min_gripper_dwell, where, report
        )
        if pose.shape != (rotations.POSE_SIZE,) or not np.all(np.isfinite(pose)):
            report.violations.append(f'{where}: not finite (or not 7 values) {pose.tolist()}')
            previous = record
            continue
        why = rotations.quaternion_problem(pose[3:])
        if why:
            report.violations.append(f'{where}: {why}')
        if record.frame_id is not None and record.frame_id != base_frame:
            report.violations.append(
                f'{where}: in frame {record.frame_id!r}, not the base frame {base_frame!r}'
            )
        if not limits.contains(pose):
            report.violations.append(
                f'{where}: position {pose[:3].round(4).tolist()} outside the workspace '
                f'[{limits.workspace_lower.tolist()}, {limits.workspace_upper.tolist()}]'
            )
        if not record.holding and not record.input_age <= stale_timeout + 1e-9:
            report.violations.append(
                f'{where}: moved on inputs {record.input_age:.3f} s old '
                f'(stale_observation_timeout {stale_timeout} s)'
            )
        if previous is not None and consecutive and not record.from_measured:
            _check_step(previous, record, pose, limits, where, report)
        previous = record
    return report


def _consecutive(previous: CartesianRecord | None, record: CartesianRecord) -> bool:
    if previous is None:
        return False
    return previous.seq is None or record.seq is None or record.seq == previous.seq + 1


def _check_step(
    previous: CartesianRecord,
    record: CartesianRecord,
    pose: np.ndarray,
    limits: CartesianLimits,
    where: str,
    report: InvariantReport,
) -> None:
    before = np.asarray(previous.pose, dtype=np.float64).reshape(-1)
    if before.shape != pose.shape or not np.all(np.isfinite(before)):
        return  # already reported; there is no step from a pose that is not one
    distance = float(np.linalg.norm(pose[:3] - before[:3]))
    angle = float(turn_angle(before[3:], pose[3:]))
    if float(np.dot(before[3:], pose[3:])) < 0.0:
        report.violations.append(
            f'{where}: the quaternion flipped sign from the previous command (dot < 0)'
        )
    if record.holding and (distance > HOLD_TOLERANCE or angle > HOLD_TOLERANCE):
        report.violations.append(
            f'{where}: a hold moved the end effector by {distance:.6f} m and {angle:.6f} rad '
            'from the previous command'
        )
    dt = record.time - previous.time
    if dt <= 0:
        if distance > HOLD_TOLERANCE or angle > HOLD_TOLERANCE:
            report.violations.append(
                f'{where}: moved by {distance:.6f} m and {angle:.6f} rad while the clock '
                f'went back {-dt:.3f} s'
            )
        return
    if distance > limits.max_linear_speed * dt + LINEAR_TOLERANCE:
        report.violations.append(
            f'{where}: moved {distance:.6f} m in {dt * 1e3:.2f} ms ({distance / dt:.3f} m/s, '
            f'limit {limits.max_linear_speed:.3f} m/s)'
        )
    if angle > limits.max_angular_speed * dt + ANGULAR_TOLERANCE:
        report.violations.append(
            f'{where}: turned {angle:.6f} rad in {dt * 1e3:.2f} ms ({angle / dt:.3f} rad/s, '
            f'limit {limits.max_angular_speed:.3f} rad/s)'
        )


def _check_gripper(
    previous: CartesianRecord | None,
    record: CartesianRecord,
    consecutive: bool,
    last_change: _Change | None,
    min_dwell: float,
    where: str,
    report: InvariantReport,
) -> _Change | None:
    """Judge the record's gripper state; return the last change seen (None: start afresh)."""
    state = record.gripper
    if state is None:
        return None
    if not math.isfinite(float(state)):
        report.violations.append(f'{where}: gripper state not finite ({state})')
        return None
    before = previous.gripper if previous is not None else None
    if before is None or not math.isfinite(float(before)) or float(state) == float(before):
        return last_change if before is not None else None
    if record.holding and not record.from_measured and consecutive:
        report.violations.append(f'{where}: a hold changed the gripper from {before} to {state}')
    change = _Change(record.time, timed=consecutive)
    if record.from_measured:
        return change  # the gripper's measured state, not a decision; the dwell runs from it
    if last_change is not None:
        if not (last_change.timed and change.timed):
            report.unjudged_pairs += 1
        elif change.time - last_change.time < min_dwell - DWELL_TOLERANCE:
            report.violations.append(
                f'{where}: the gripper changed to {state} {change.time - last_change.time:.3f} s '
                f'after its last change (min_gripper_dwell {min_dwell} s)'
            )
    return change
