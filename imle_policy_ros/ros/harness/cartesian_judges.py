# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What an end-effector node is judged against, and the judges that need its command_info.

`CartesianSetup` is taken from the node's own config and bundle, so the limits, frame and
dwell the commands are judged with are the ones it runs with. The judges here decide
after the fact what harness/cartesian_recorder.py could not tell from a message alone,
once the records (`~/command_info`, control.cartesian_invariants.CartesianRecord) say what
each tick was. ROS-free; the tolerances are in the recorder's docstring, with the rest.

    judge_steps          a pose step beyond the speed limits: legal only across a tick
                         that was from_measured (a start at the measured pose may jump)
    judge_gripper_gaps   two gripper changes on the wire within the dwell: legal only when
                         the second was set at a from_measured tick, to the measured state
                         (GripperChannel.reset: not a decision, the dwell runs from it)
    judge_twist_holds    a hold's twist must be zero
    measured_starts      each from_measured command is at a pose the robot published, and
                         one that jumps is at a recent one (where the arm is, not was)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..command_layout import base_frame_of, cartesian_limits
from ..gripper_outputs import GRIPPER_OUTPUTS
from ..policy_parameters import PolicyNodeConfig
from ...control.cartesian_executor import CartesianLimits, turn_angle
from ...control.cartesian_invariants import LINEAR_TOLERANCE
from ...control.low_dim_state import history_joints
from ...control.safety_invariants import InvariantReport
from ...runtime import rotations
from ...runtime.ee_layout import GripperSpec
from ...runtime.policy_spec import PolicySpec


@dataclass(frozen=True)
class CartesianSetup:
    """What an end-effector node is judged against: its limits, frame, topics and inputs."""

    limits: CartesianLimits
    base_frame: str
    stale_timeout: float
    min_gripper_dwell: float
    command_topic: str
    command_interface: str  # pose | twist
    ee_pose_topic: str
    image_topics: tuple[str, ...]
    joint_state_topic: str
    joint_names: tuple[str, ...]  # read from the joint states (empty: not an input)
    gripper: GripperSpec | None = None  # the bundle's (None: it has none)
    gripper_interface: str = 'none'
    gripper_topic: str | None = None  # None: not commanded on a topic a recorder can read
    gripper_joint: str = ''

    @classmethod
    def of(cls, cfg: PolicyNodeConfig, spec: PolicySpec) -> 'CartesianSetup':
        """Return the setup of a node's config and its ee_pose bundle."""
        assert spec.ee_layout is not None, 'only an ee_pose bundle commands poses'
        gripper = spec.ee_layout.gripper
        interface = cfg.gripper_interface if gripper is not None else 'none'
        topic = None
        if interface in ('forward_command', 'joint_trajectory'):  # gripper_action: an action
            topic = cfg.gripper_topic or GRIPPER_OUTPUTS[interface].default_topic
        return cls(
            limits=cartesian_limits(cfg),
            base_frame=base_frame_of(cfg.base_frame, spec),
            stale_timeout=cfg.controller.stale_observation_timeout,
            min_gripper_dwell=cfg.controller.gripper_min_dwell,
            command_topic=cfg.command_topic,
            command_interface=cfg.command_interface,
            ee_pose_topic=cfg.ee_pose_topic,
            image_topics=tuple(cfg.image_topics),
            joint_state_topic=cfg.joint_state_topic,
            joint_names=history_joints(spec),
            gripper=gripper,
            gripper_interface=interface,
            gripper_topic=topic,
            gripper_joint=(cfg.gripper_joint or gripper.joint) if gripper is not None else '',
        )


def ns(seconds: float) -> int:
    """Return a time in integer nanoseconds, rounded as messages.seconds_to_stamp rounds."""
    return int(round(seconds * 1e9))


class _Ticks:
    """The records in tick-time order, for the questions the judges ask of a time span."""

    def __init__(self, records):
        self.records = sorted(records, key=lambda r: r.time)
        self.times = np.array([ns(r.time) for r in self.records], dtype=np.int64)

    def between(self, after_ns: int, until_ns: int) -> list:
        """Return the records with after < tick time <= until (nanoseconds)."""
        lo = int(np.searchsorted(self.times, after_ns, side='right'))
        hi = int(np.searchsorted(self.times, until_ns, side='right'))
        return self.records[lo:hi]

    def has(self, tick_ns: int) -> bool:
        k = int(np.searchsorted(self.times, tick_ns, side='left'))
        return k < len(self.times) and int(self.times[k]) == tick_ns


def judge_steps(steps, records, report: InvariantReport) -> None:
    """
    Judge the pose steps beyond the limits, as (previous stamp ns, stamp ns, what).

    Legal when a tick since the previous message was from_measured; a violation when the
    message's own record says otherwise; unjudged when its record never came.
    """
    ticks = _Ticks(records)
    for before, stamp, what in steps:
        if any(r.from_measured for r in ticks.between(before, stamp)):
            continue
        if ticks.has(stamp):
            report.violations.append(what)
        else:
            report.unjudged_pairs += 1


def judge_gripper_gaps(
    gaps, records, gripper: GripperSpec | None, window: float, report: InvariantReport
) -> int:
    """
    Judge gripper changes on the wire closer than the dwell, as (t0, t1, position, what).

    t0 and t1 are the receive times of the two changes, position the one changed to at t1.
    Its tick is the last record up to t1 (and no more than `window` before it: the
    transport) at which the commanded gripper changed to that position. Legal when that
    tick was from_measured; unjudged when no record shows the change. Returns how many
    were legal: a decision undone by the measured state within the dwell, which the
    gripper does see (reported, not a violation by the controller's rule).
    """
    legal = 0
    changes, previous = [], None
    for record in sorted(records, key=lambda r: r.time):
        if record.gripper is None or gripper is None:
            previous = None
            continue
        if previous is not None and record.gripper != previous:
            position = float(gripper.position(record.gripper))
            changes.append((record.time, position, record.from_measured))
        previous = record.gripper
    for _, t1, position, what in gaps:
        ticks = [c for c in changes if t1 - window <= c[0] <= t1 and c[1] == position]
        if not ticks:
            report.unjudged_pairs += 1
        elif not ticks[-1][2]:
            report.violations.append(what)
        else:
            legal += 1
    return legal


def judge_twist_holds(records, moving_stamps: set, report: InvariantReport) -> None:
    """Judge the holds' twists: a hold commands no motion, so its twist must be zero."""
    for record in records:
        if record.holding and ns(record.time) in moving_stamps:
            report.violations.append(
                f'the hold at t={record.time:.3f} commanded a twist that is not zero'
            )


def measured_starts(
    records, stamps, poses, limits: CartesianLimits, window, tolerance_s: float
) -> InvariantReport:
    """
    Check that each from_measured command is at a pose the robot published, and a recent one.

    At: within tolerance_s at the speed limits of the nearest of the valid measured poses
    stamped in [t - window[0], t + window[1]] (clipped into the workspace and normalized, as
    the executor starts from them). Recent: a start that jumps from the previous command
    (further than the speed limits allow) must jump to where the arm is, so the newest pose
    seen by then is at most window[0] old; an older one is where the arm was, and it may
    have moved on (a violation). With no pose in the window and no jump: unjudged.
    """
    report = InvariantReport()
    if not len(stamps):
        return report
    order = np.argsort(stamps, kind='stable')
    stamps = np.asarray(stamps, dtype=np.float64)[order]
    seen = limits.clip(np.asarray(poses, dtype=np.float64).reshape(-1, 7)[order])
    seen[:, 3:] = rotations.normalized(seen[:, 3:])
    position_tolerance = limits.max_linear_speed * tolerance_s
    angle_tolerance = limits.max_angular_speed * tolerance_s
    previous = None
    for i, record in enumerate(records):
        before, previous = previous, record
        if not record.from_measured:
            continue
        pose = np.asarray(record.pose, dtype=np.float64)
        where = f'command {i} at t={record.time:.3f}'
        newest = int(np.searchsorted(stamps, record.time, side='right')) - 1
        if newest < 0:
            report.unjudged_pairs += 1  # before the observer saw any pose (discovery)
            continue
        age = record.time - stamps[newest]
        jump = _jump(before, record, limits)
        if jump and age > window[0]:
            report.violations.append(
                f'{where} jumped {jump:.4f} m to a measured pose {age:.3f} s old (the newest '
                f'seen; at {limits.max_linear_speed} m/s the arm may have moved '
                f'{limits.max_linear_speed * age:.3f} m since)'
            )
            continue
        lo = np.searchsorted(stamps, record.time - window[0], side='left')
        hi = np.searchsorted(stamps, record.time + window[1], side='right')
        if lo == hi:
            report.unjudged_pairs += 1  # the observer saw no pose around it
            continue
        candidates = seen[lo:hi]
        distances = np.linalg.norm(candidates[:, :3] - pose[:3], axis=1)
        angles = turn_angle(candidates[:, 3:], pose[3:])
        k = int(np.argmin(distances))
        if distances[k] > position_tolerance or angles[k] > angle_tolerance:
            report.violations.append(
                f'{where} started at {pose[:3].round(4).tolist()} but the arm was seen at '
                f'{candidates[k, :3].round(4).tolist()} ({distances[k]:.4f} m, '
                f'{angles[k]:.4f} rad apart)'
            )
    return report


def _jump(before, record, limits: CartesianLimits) -> float:
    """Return how far a command moved from the tick before it beyond the limits (0: not)."""
    if before is None or before.seq is None or record.seq != before.seq + 1:
        return 0.0
    distance = float(np.linalg.norm(np.subtract(record.pose[:3], before.pose[:3])))
    dt = max(0.0, record.time - before.time)
    return distance if distance > limits.max_linear_speed * dt + LINEAR_TOLERANCE else 0.0
