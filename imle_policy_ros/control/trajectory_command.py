# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A control tick's command as the points of a JointTrajectoryController message.

The message holds the command, to be reached one control period from now, then the rest
of the running chunk, so that a late message does not stall the arm. The chunk's
waypoints (Command.waypoints) are limited from the command over their time from now; the
whole message is shifted by one period, so each segment keeps the duration it was limited
for. Shifting only the first point would leave the segment to the next waypoint shorter
by a period than the one it was limited for, and ask the controller for up to
(gap + period) / gap times the velocity limit on it.
"""

from __future__ import annotations

import numpy as np

MIN_GAP = 1e-3  # s: a waypoint closer than this to the command is left out (no degenerate segment)


def trajectory_points(command, period: float) -> tuple[list[float], list[np.ndarray]]:
    """
    Return the trajectory points of a command with positions.

    (times from start, positions), in the controller's action order, for a command with
    positions (its waypoints, if any, from tick(waypoints=True)).
    """
    times, points = [period], [np.asarray(command.positions)]
    if command.waypoints is not None:
        ahead, waypoints = command.waypoints
        keep = ahead > MIN_GAP
        times += list(ahead[keep] + period)
        points += list(waypoints[keep])
    return times, points
