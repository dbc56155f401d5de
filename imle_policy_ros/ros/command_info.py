# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`~/command_info`: what the policy node knew when it published each command.

One std_msgs/Float64MultiArray per published command, on a reliable topic, so that anyone
(the fault tests, `imle-policy-ros soak`, an operator with `ros2 topic echo`) can check the
command stream against the safety invariants without trusting receive times: the
controller's tick time and tick number, whether it was a hold, whether its position is the
arm's measured one, and the age of the inputs it came from. The layout is written into the
message (layout.dim[0].label) so it reads without this module.

    data = [tick, time, holding, from_measured, input_age, position_0, ..., position_(D-1)]
           (+ [gripper] for an end-effector bundle with a gripper)

positions in the command order (the controller's joint_names, or for an end-effector
bundle the pose x, y, z, qx, qy, qz, qw in the base frame); gripper the commanded state, 0
open / 1 closed, or MISSING_GRIPPER (-1) while it is unknown; input_age is MISSING_AGE
(-1) when an input is missing (a float64 array has no inf that every reader parses the
same way). A real age can be negative, an input stamped a little after the tick began,
but never below -max_future_stamp (at most 0.5 s: newer inputs are refused), so -1 is
never an age.
"""

from __future__ import annotations

import array

import numpy as np
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, MultiArrayLayout

from ..control.cartesian_invariants import CartesianRecord
from ..control.safety_invariants import CommandRecord

FIELDS = ('tick', 'time', 'holding', 'from_measured', 'input_age')
MISSING_AGE = -1.0
MISSING_GRIPPER = -1.0
GRIPPER = 'gripper'


def command_info(
    tick: int, command, positions_in_command_order, joint_names, gripper: bool = False
) -> Float64MultiArray:
    """Return the record of a command; gripper: add its gripper state (ee bundles with one)."""
    age = command.input_age if np.isfinite(command.input_age) else MISSING_AGE
    values = [
        float(tick),
        float(command.time),
        float(command.holding),
        float(command.from_measured),
        float(age),
    ]
    values += np.asarray(positions_in_command_order, dtype=np.float64).tolist()
    labels = FIELDS + tuple(f'position:{name}' for name in joint_names)
    if gripper:
        values.append(MISSING_GRIPPER if command.gripper is None else float(command.gripper))
        labels += (GRIPPER,)
    label = ','.join(labels)
    layout = MultiArrayLayout(
        dim=[MultiArrayDimension(label=label, size=len(values), stride=len(values))]
    )
    return Float64MultiArray(layout=layout, data=array.array('d', values))


def _read(msg: Float64MultiArray) -> tuple[np.ndarray, np.ndarray, float | None]:
    """Return (the fields, the positions, the gripper state or None) of a record."""
    data = (
        np.frombuffer(msg.data, dtype=np.float64)
        if isinstance(msg.data, array.array)
        else np.asarray(msg.data, dtype=np.float64)
    )
    labels = msg.layout.dim[0].label.split(',') if msg.layout.dim else []
    n_fields = len(FIELDS)
    has_gripper = bool(labels) and labels[-1] == GRIPPER
    end = len(data) - 1 if has_gripper else len(data)
    gripper = float(data[-1]) if has_gripper and data[-1] != MISSING_GRIPPER else None
    return data[:n_fields], data[n_fields:end].copy(), gripper


def record_of(msg: Float64MultiArray) -> CommandRecord:
    (tick, time, holding, from_measured, age), positions, _ = _read(msg)
    return CommandRecord(
        float(time),
        positions,
        bool(holding),
        bool(from_measured),
        float('inf') if age == MISSING_AGE else float(age),
        int(tick),
    )


def cartesian_record_of(msg: Float64MultiArray, frame_id: str | None = None) -> CartesianRecord:
    """Return the record of an end-effector command (frame_id: its message's, if known)."""
    (tick, time, holding, from_measured, age), pose, gripper = _read(msg)
    return CartesianRecord(
        float(time),
        pose,
        gripper,
        bool(holding),
        bool(from_measured),
        float('inf') if age == MISSING_AGE else float(age),
        int(tick),
        frame_id,
    )
