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

positions in the command order (the controller's joint_names); input_age is MISSING_AGE
(-1) when an input is missing (a float64 array has no inf that every reader parses the
same way). A real age can be negative, an input stamped a little after the tick began,
but never below -max_future_stamp (at most 0.5 s: newer inputs are refused), so -1 is
never an age.
"""

from __future__ import annotations

import array

import numpy as np
from std_msgs.msg import Float64MultiArray, MultiArrayDimension, MultiArrayLayout

from ..control.safety_invariants import CommandRecord

FIELDS = ('tick', 'time', 'holding', 'from_measured', 'input_age')
MISSING_AGE = -1.0


def command_info(tick: int, command, positions_in_command_order, joint_names) -> Float64MultiArray:
    age = command.input_age if np.isfinite(command.input_age) else MISSING_AGE
    values = [
        float(tick),
        float(command.time),
        float(command.holding),
        float(command.from_measured),
        float(age),
    ]
    values += np.asarray(positions_in_command_order, dtype=np.float64).tolist()
    label = ','.join(FIELDS + tuple(f'position:{name}' for name in joint_names))
    layout = MultiArrayLayout(
        dim=[MultiArrayDimension(label=label, size=len(values), stride=len(values))]
    )
    return Float64MultiArray(layout=layout, data=array.array('d', values))


def record_of(msg: Float64MultiArray) -> CommandRecord:
    data = (
        np.frombuffer(msg.data, dtype=np.float64)
        if isinstance(msg.data, array.array)
        else np.asarray(msg.data)
    )
    n_fields = len(FIELDS)
    tick, time, holding, from_measured, age = data[:n_fields]
    return CommandRecord(
        float(time),
        data[n_fields:].copy(),
        bool(holding),
        bool(from_measured),
        float('inf') if age == MISSING_AGE else float(age),
        int(tick),
    )
