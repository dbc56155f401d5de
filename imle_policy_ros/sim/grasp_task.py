# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The grasp task: reach the target around the obstacle as before, then close the gripper on it.

Same scene, same two ways round; what changes is the end. Success needs the tool on the
target and the finger closed (<= 5 mm) while it is there, so a policy must learn when to
close as well as where to go. Closing too soon fails: the finger below 20 mm (half closed)
while the tool is not on the target ends the episode as `grasped_early`, a grasp at the air.
Collision and timeout are as in the reach task.

The expert follows its reach plan to the target, closes the gripper once it is there (the
first command at or after the plan's end), and is finished when the finger has had the time
to close.
"""

from __future__ import annotations

import math

from .expert import ExpertSettings, ScriptedExpert, STEP_TOLERANCE
from .gripper import close_duration, GRIPPER_CLOSED, GRIPPER_OPEN
from .planar_arm import ArmGeometry
from .reach_task import TASK_NAME

GRASP_TASK_NAME = 'reach_and_grasp'
TASKS = (TASK_NAME, GRASP_TASK_NAME)
GRASPED_MAX = 0.005  # m: the finger at or below this on the target is a grasp
EARLY_GRASP_BELOW = 0.02  # m: the finger below this off the target is a grasp at the air


def check_task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f'task must be one of {TASKS}, got {task!r}')
    return task


def grasp_event(tool_on_target: bool, finger: float) -> str | None:
    """Return 'success', 'grasped_early' or None (undecided) for one instant of the grasp task."""
    if tool_on_target and finger <= GRASPED_MAX:
        return 'success'
    if not tool_on_target and finger < EARLY_GRASP_BELOW:
        return 'grasped_early'
    return None


class GraspExpert(ScriptedExpert):
    """The reach expert, then a grasp: `gripper_action` closes once the plan has ended."""

    @property
    def close_time(self) -> float:
        """Return when the plan has the tool on the target and the gripper may close, s."""
        return self._plan().duration

    def _first_close_step(self, dt: float) -> int:
        return math.ceil(self.close_time / dt - STEP_TOLERANCE)

    def gripper_action(self, t: float, dt: float = 0.0) -> float:
        """
        Return the finger command at time t, m: open on the way, closed from the plan's end.

        dt: the command period, so that a command a float hair before the end counts as the
        one at the end, exactly as `command_steps` counts it.
        """
        closing = t >= self.close_time - STEP_TOLERANCE * dt
        return GRIPPER_CLOSED if closing else GRIPPER_OPEN

    def command_steps(self, dt: float) -> int:
        """Return how many commands, one every dt from t = 0, reach the target and close."""
        return self._first_close_step(dt) + math.ceil(close_duration() / dt - STEP_TOLERANCE)

    def finished(self, t: float, dt: float = 0.0) -> bool:
        """Whether the gripper is closed at t, with commands every dt (0: continuous)."""
        start = self._first_close_step(dt) * dt if dt > 0 else self.close_time
        return t >= start + close_duration() - STEP_TOLERANCE


def expert_for(
    task: str, settings: ExpertSettings = ExpertSettings(), geometry: ArmGeometry = ArmGeometry()
) -> ScriptedExpert:
    """Return the scripted expert of a task (reach_around_obstacle or reach_and_grasp)."""
    cls = GraspExpert if check_task(task) == GRASP_TASK_NAME else ScriptedExpert
    return cls(settings, geometry)
