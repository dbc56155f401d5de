# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The gripper of an end-effector recording: its measured joint, its command, 0 open .. 1 closed.

The measured value is a joint's position in the joint states (a gripper driver often
publishes its own JointState beside the arm's on one topic, so only the messages that
name the joint are read); the command is a Float64MultiArray's first value or a
JointTrajectory's first point (the gripper joint's position where the trajectory names
it, else the first). Both are normalized with one GripperSpec: from --gripper-open and
--gripper-closed, or else from the extremes of the data, the open one being the extreme
the first bag starts nearer to (a demonstration starts with the gripper open); which is
which is said in a note, so a user can set them the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .bag_episode import joint_state_payload
from .bag_messages import FLOAT64_ARRAY, JOINT_STATE, JOINT_TRAJECTORY
from .bag_reader import BagRejected, read_topics, TopicRequest, TopicSeries
from .conversion_settings import ConversionSettings
from ..runtime.ee_layout import GripperSpec

GRIPPER_COMMAND_TYPES = (FLOAT64_ARRAY, JOINT_TRAJECTORY)
NEVER_MOVES = 1e-6  # a range narrower than this (m or rad) is a gripper that never moved


def gripper_command_decoder(joint: str | None) -> Callable[[str, object], float]:
    """Return the decode of a gripper command message: the commanded position."""

    def decode(msgtype: str, msg) -> float:
        if msgtype == FLOAT64_ARRAY:
            if not len(msg.data):
                raise ValueError('Float64MultiArray without data: the gripper command is unknown')
            return float(msg.data[0])
        names = [str(n) for n in msg.joint_names]
        positions = msg.points[0].positions if msg.points else ()
        i = names.index(joint) if joint in names else 0
        if len(positions) <= i:
            raise ValueError(
                'JointTrajectory without that position: the gripper command is unknown'
            )
        return float(positions[i])

    return decode


def gripper_command_request(settings: ConversionSettings) -> TopicRequest:
    return TopicRequest(GRIPPER_COMMAND_TYPES, gripper_command_decoder(settings.gripper_joint))


def joint_columns(
    bag: Path, series: TopicSeries, joints: tuple[str, ...], what: str
) -> tuple[np.ndarray, np.ndarray]:
    """Return (stamps [M], positions [M, J]) of the messages that carry every one of `joints`."""
    stamps, rows, seen = [], [], set()
    for stamp, (names, positions) in zip(series.stamps_ns, series.payloads):
        seen.update(names)
        index = {n: i for i, n in enumerate(names)}
        if all(j in index for j in joints):
            stamps.append(stamp)
            rows.append(positions[[index[j] for j in joints]])
    if not rows:
        missing = [j for j in joints if j not in seen]
        problem = (
            f'{what} {missing} not in the joint states on {series.topic} (they name '
            f'{sorted(seen)}); pass joints that the joint states carry, or record them'
            if missing
            else f'no JointState on {series.topic} carries all of {what} {list(joints)} at '
            'once; name joints that one publisher reports together'
        )
        raise BagRejected(bag, problem)
    return np.asarray(stamps, dtype=np.int64), np.stack(rows)


@dataclass(frozen=True)
class GripperRange:
    """The gripper's normalization and how it was chosen."""

    spec: GripperSpec
    from_data: bool
    what: str  # 'joint finger_joint' or 'command on /gripper/commands'
    first: float  # the value the first bag starts at (from the data)

    def note(self) -> str:
        s = self.spec
        if not self.from_data:
            return f'gripper {self.what}: open {s.open_position:g}, closed {s.closed_position:g}'
        return (
            f'gripper {self.what}: open {s.open_position:g}, closed {s.closed_position:g}, '
            f'the extremes of the data (the first bag starts at {self.first:g}, taken as '
            'open); if that is the wrong way round, give --gripper-open and --gripper-closed'
        )


def _what(settings: ConversionSettings) -> str:
    if settings.gripper_joint:
        return f'joint {settings.gripper_joint}'
    return f'command on {settings.gripper_topic}'


def gripper_values(bag: Path, settings: ConversionSettings, series: dict) -> np.ndarray:
    """Return the values the gripper range is taken from: measured if there is a joint."""
    if settings.gripper_joint:
        topic = series[settings.joint_state_topic]
        return joint_columns(bag, topic, (settings.gripper_joint,), 'gripper joint')[1][:, 0]
    return np.asarray(series[settings.gripper_topic].payloads, dtype=np.float64)


def gripper_range(
    bag: Path, settings: ConversionSettings, values: Sequence[np.ndarray]
) -> GripperRange:
    """Return the gripper's range: the options', else the data's (`values` per bag)."""
    what, joint = _what(settings), settings.gripper_joint or ''
    if settings.gripper_open is not None and settings.gripper_closed is not None:
        spec = GripperSpec(joint, float(settings.gripper_open), float(settings.gripper_closed))
        return GripperRange(spec, False, what, float('nan'))
    every = np.concatenate([np.asarray(v, dtype=np.float64) for v in values])
    finite = every[np.isfinite(every)]
    if len(finite) == 0 or np.ptp(finite) < NEVER_MOVES:
        at = f'stays at {finite[0]:g}' if len(finite) else 'is never a finite number'
        raise BagRejected(
            bag,
            f'the gripper {what} {at} in every bag, so which position is open and which '
            'closed cannot be told from the data; give --gripper-open and --gripper-closed',
        )
    low, high = float(finite.min()), float(finite.max())
    first = float(finite[0])
    opened, closed = (low, high) if abs(first - low) <= abs(first - high) else (high, low)
    return GripperRange(GripperSpec(joint, opened, closed), True, what, first)


def scan_gripper(bags: Sequence[Path], settings: ConversionSettings) -> GripperRange:
    """Read only the gripper's topic of every bag for its range (the images are left)."""
    if settings.gripper_joint:
        topic = settings.joint_state_topic
        requests = {topic: TopicRequest((JOINT_STATE,), joint_state_payload)}
    else:
        requests = {settings.gripper_topic: gripper_command_request(settings)}
    values = [gripper_values(bag, settings, read_topics(bag, requests)) for bag in bags]
    return gripper_range(bags[-1], settings, values)
