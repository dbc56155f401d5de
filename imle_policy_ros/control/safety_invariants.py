# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The safety invariants every command stream must keep, judged after the fact.

One ROS-free judge for the controller on simulated time, the ROS nodes end to end and
`imle-policy-ros soak`, so a fault test and the soak count violations the same way.

Over the commands in the order they were computed (`CommandRecord`: the tick's time,
positions, and what the controller knew):

  finite       no NaN or Inf, ever
  in limits    every position within the position limits
  velocity     |p_i - p_(i-1)| <= v * (t_i - t_(i-1)) per joint, except for a command at the
               arm's measured position (from_measured: the first one, after a reset, a hold,
               or a loss of the joint states), which is where the arm already is
  holds hold   a hold repeats the previous command, unless it is at the measured position
  fresh        a command that is not a hold comes from inputs at most stale_timeout old

Tolerance of the velocity check: VELOCITY_TOLERANCE rad. The controller limits each step
to exactly v * elapsed in float64, from the same tick times the records carry; what is left
is rounding, dominated by the times: ROS times are epoch seconds, where one float64 step
is 2.4e-7 s, times a velocity limit of a few rad/s. 1e-6 rad covers that with margin and is
still 15000x smaller than one 10 ms step at 1.5 rad/s, so a real excess cannot hide in it.

Pairs are judged only between consecutive ticks (`seq`), when the records carry tick
numbers: a stream recorded through a transport may miss a message, and across a gap the
missing command could have been the from_measured one that makes the jump legitimate.
Such pairs are counted as unjudged, never silently passed.

`check_input_freshness` is the independent half of "fresh": it does not trust the
controller's own input_age but the stamps of the valid inputs an observer saw published.

End-effector (Cartesian) command streams are judged by `cartesian_invariants`, with the
same report and the same rules on holds, measured starts and tick gaps.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .chunk_executor import JointLimits

VELOCITY_TOLERANCE = 1e-6  # rad (see above)
POSITION_TOLERANCE = 1e-9  # rad: clipping is exact; this is float noise only


@dataclass(frozen=True)
class CommandRecord:
    time: float  # the tick's time on the controller's clock
    positions: np.ndarray  # [D]
    holding: bool
    from_measured: bool
    input_age: float  # s, the oldest of the newest inputs at the tick (inf: one missing)
    seq: int | None = None  # tick number, when known

    @classmethod
    def of(cls, command, seq: int | None = None) -> 'CommandRecord':
        """From a control.Command (the caller skips commands with no positions)."""
        return cls(
            float(command.time),
            np.asarray(command.positions, dtype=np.float64),
            bool(command.holding),
            bool(command.from_measured),
            float(command.input_age),
            seq,
        )


@dataclass
class InvariantReport:
    checked: int = 0
    unjudged_pairs: int = 0
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def extend(self, other: 'InvariantReport') -> 'InvariantReport':
        self.checked += other.checked
        self.unjudged_pairs += other.unjudged_pairs
        self.violations += other.violations
        return self

    def __str__(self) -> str:
        head = (
            f'{self.checked} commands, {len(self.violations)} violations, '
            f'{self.unjudged_pairs} unjudged pairs'
        )
        return head + ''.join(f'\n  {v}' for v in self.violations[:20])


def check_command_stream(records, limits: JointLimits, stale_timeout: float) -> InvariantReport:
    report = InvariantReport(checked=len(records))
    previous: CommandRecord | None = None
    for i, record in enumerate(records):
        p = record.positions
        where = f'command {i} at t={record.time:.3f}'
        if not np.all(np.isfinite(p)):
            report.violations.append(f'{where}: not finite {p.tolist()}')
            previous = record
            continue
        if np.any(p < limits.lower - POSITION_TOLERANCE) or np.any(
            p > limits.upper + POSITION_TOLERANCE
        ):
            report.violations.append(
                f'{where}: {p.tolist()} outside the position limits '
                f'[{limits.lower.tolist()}, {limits.upper.tolist()}]'
            )
        if not record.holding and not record.input_age <= stale_timeout + 1e-9:
            report.violations.append(
                f'{where}: moved on inputs {record.input_age:.3f} s old '
                f'(stale_observation_timeout {stale_timeout} s)'
            )
        if previous is not None:
            _check_pair(previous, record, limits, where, report)
        previous = record
    return report


def _check_pair(
    previous: CommandRecord,
    record: CommandRecord,
    limits: JointLimits,
    where: str,
    report: InvariantReport,
) -> None:
    if record.from_measured:
        return  # at the arm's measured position: no step from the previous command to check
    if previous.seq is not None and record.seq is not None and record.seq != previous.seq + 1:
        report.unjudged_pairs += 1
        return
    if not np.all(np.isfinite(previous.positions)):
        return
    step = np.abs(record.positions - previous.positions)
    if record.holding and np.any(step > 1e-12):
        report.violations.append(
            f'{where}: a hold moved the arm by {step.max():.6f} from the previous command'
        )
    dt = record.time - previous.time
    if dt <= 0:
        if np.any(step > 1e-12):
            report.violations.append(
                f'{where}: moved by {step.max():.6f} while the clock went back {-dt:.3f} s'
            )
        return
    allowed = limits.velocity * dt + VELOCITY_TOLERANCE
    if np.any(step > allowed):
        j = int(np.argmax(step - allowed))
        report.violations.append(
            f'{where}: joint {j} moved {step[j]:.6f} in {dt * 1e3:.2f} ms '
            f'({step[j] / dt:.3f}/s, limit {limits.velocity[j]:.3f}/s)'
        )


def check_trajectory(
    times_from_start, points, limits: JointLimits, where: str = 'trajectory'
) -> list[str]:
    """
    Check one trajectory message; return its problems (none when it is safe).

    One trajectory message: finite, within the position limits, and each segment within the
    velocity limits at the times it gives (what a JointTrajectoryController would execute).
    """
    times = np.asarray(times_from_start, dtype=np.float64)
    points = np.asarray(points, dtype=np.float64).reshape(len(times), -1)
    problems = []
    if not np.all(np.isfinite(points)) or not np.all(np.isfinite(times)):
        return [f'{where}: not finite']
    if np.any(points < limits.lower - POSITION_TOLERANCE) or np.any(
        points > limits.upper + POSITION_TOLERANCE
    ):
        problems.append(f'{where}: a point is outside the position limits')
    dt = np.diff(times)
    if np.any(dt <= 0):
        problems.append(f'{where}: time_from_start not strictly increasing')
        return problems
    speed = np.abs(np.diff(points, axis=0)) - VELOCITY_TOLERANCE
    too_fast = speed > limits.velocity[None] * dt[:, None]
    if np.any(too_fast):
        k, j = np.argwhere(too_fast)[0]
        problems.append(
            f'{where}: segment {k} asks joint {j} for {(speed[k, j] / dt[k]):.3f}/s in '
            f'{dt[k] * 1e3:.1f} ms (limit {limits.velocity[j]:.3f}/s)'
        )
    return problems


def check_input_freshness(
    records, input_stamps: dict, stale_timeout: float, tolerance: float
) -> InvariantReport:
    """
    Check that no command moves the arm while an input is stale.

    No command that is not a hold while, by an observer's own record, some input's newest
    valid stamp at the command's time was older than stale_timeout + tolerance.

    input_stamps: input name -> stamps (any order) of the inputs the observer saw published
    that the controller could accept (decodable, finite, naming the needed joints). The
    controller cannot have had a newer one than the newest published before the tick; the
    tolerance covers inputs the observer may have missed (a few frame periods). Commands
    before the observer saw any input of a kind are counted as unjudged.
    """
    report = InvariantReport()  # the same records are counted by check_command_stream
    sorted_stamps = {
        name: np.sort(np.asarray(stamps, dtype=np.float64))
        for name, stamps in input_stamps.items()
    }
    for i, record in enumerate(records):
        if record.holding:
            continue
        for name, stamps in sorted_stamps.items():
            k = np.searchsorted(stamps, record.time, side='right')
            if k == 0:  # the observer had seen none yet (it started after the node): no judgement
                report.unjudged_pairs += 1
                continue
            age = record.time - stamps[k - 1]
            if age > stale_timeout + tolerance:
                report.violations.append(
                    f'command {i} at t={record.time:.3f} moved although the newest valid {name} '
                    f'published by then was {age:.3f} s old'
                )
    return report


def check_measured_starts(
    records, joint_stamps, joint_positions, limits: JointLimits, tolerance: float
) -> InvariantReport:
    """
    Check that each command from the measured position starts where the arm was.

    Each command at the measured position (from_measured) is where an observer saw the arm:
    within `tolerance` of the newest valid joint state stamped at or before its tick
    (clipped to the limits, as the command is). Catches a resume, re-enable or robot restart
    that starts from the last commanded position instead of the arm's.

    joint_stamps [K], joint_positions [K, D] in the command order. The tolerance covers the
    arm's motion between the joint state the observer picks and the one the controller had.
    """
    report = InvariantReport()
    stamps = np.asarray(joint_stamps, dtype=np.float64)
    order = np.argsort(stamps)
    stamps, positions = (
        stamps[order],
        np.asarray(joint_positions, dtype=np.float64).reshape(len(stamps), -1)[order],
    )
    for i, record in enumerate(records):
        if not record.from_measured:
            continue
        k = np.searchsorted(stamps, record.time, side='right')
        if k == 0:
            continue  # the observer saw no joint state before it: nothing to compare with
        seen = np.clip(positions[k - 1], limits.lower, limits.upper)
        off = np.abs(record.positions - seen).max()
        if off > tolerance:
            report.violations.append(
                f'command {i} at t={record.time:.3f} started at '
                f'{record.positions.round(4).tolist()} but the arm was seen at '
                f'{seen.round(4).tolist()} ({off:.3f} apart)'
            )
    return report
