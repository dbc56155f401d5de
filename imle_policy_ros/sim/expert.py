# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The scripted expert: around the obstacle on a side chosen at random, then to the target.

Per episode it flips a fair coin for the side, which is what makes the demonstrations
bimodal: the same first image is followed by "left" in half of them and "right" in
the other half.

The tool path is the shortest way around the obstacle grown by a safety clearance:
a straight line from home tangent to that circle, an arc along it, and a tangent line
to the target. It is smooth (no corners), keeps exactly the clearance beside the
obstacle, and both sides are equally long when the target is straight ahead.

Timing: the tool speeds up and slows down at a constant acceleration and cruises at a
constant speed in between, capped wherever the arm would need more than a fraction of
its joint velocity limit. So every command the expert gives (the plan one dataset step
ahead) is reachable within that step: commanded and reached positions agree.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from .cartesian_arm import tool_pose
from .gripper import GRIPPER_OPEN
from .planar_arm import ArmGeometry, inverse_kinematics
from .reach_task import SIDES, TaskScene

# Steps are counted as in sim/demos.py: a plan that ends a hair after a step still ends there.
STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ExpertSettings:
    tool_speed: float = 0.15  # m/s cruise
    tool_acceleration: float = 0.5  # m/s^2, at the start and the end
    clearance: float = 0.04  # m between tool and obstacle surfaces beside the obstacle
    joint_speed_fraction: float = 0.8  # of the arm's max_velocity, the most the plan asks
    path_resolution: float = 0.002  # m between planned points


def tool_path(scene: TaskScene, side: str, radius: float, resolution: float = 0.002) -> np.ndarray:
    """
    Return [N, 2] points, `resolution` apart, from home to the target.

    The path bends around the circle of `radius` about the obstacle on `side` ("left" = +y of
    the home-to-target direction).
    """
    if side not in SIDES:
        raise ValueError(f'side must be one of {SIDES}, got {side!r}')
    sign = 1.0 if side == 'left' else -1.0
    centre = np.asarray(scene.obstacle_xy, dtype=np.float64)
    start, goal = scene.home_ee_xy, np.asarray(scene.target_xy, dtype=np.float64)
    heading = np.arctan2(*(goal - start)[::-1])  # angles are taken relative to home->target

    def polar(p):
        rel = p - centre
        d = float(np.linalg.norm(rel))
        if d <= radius:
            raise ValueError(
                f'{p.tolist()} lies within {radius} m of the obstacle: no path around'
            )
        return np.arctan2(rel[1], rel[0]) - heading, np.arccos(radius / d)

    start_angle, start_half = polar(start)
    goal_angle, goal_half = polar(goal)
    # Tangent points: from home the line touches the circle on the chosen side, and so
    # does the line into the target; between them the path follows the circle.
    leave = start_angle - sign * start_half
    join = goal_angle + sign * goal_half
    sweep = ((leave - join) if side == 'left' else (join - leave)) % (2 * np.pi)
    arc_angles = leave - sign * sweep * np.linspace(
        0.0, 1.0, max(2, int(np.ceil(sweep * radius / resolution)) + 1)
    )
    arc = centre + radius * np.stack(
        [np.cos(arc_angles + heading), np.sin(arc_angles + heading)], axis=-1
    )
    corners = np.concatenate([start[None], arc, goal[None]])
    return _resample(corners, resolution)


def _resample(polyline: np.ndarray, spacing: float) -> np.ndarray:
    """Return the same curve with points equally spaced along it (the last gap may be shorter)."""
    seg = np.linalg.norm(np.diff(polyline, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    keep = np.concatenate([[True], seg > 0])
    s, polyline = s[keep], polyline[keep]
    stations = np.append(np.arange(0.0, s[-1], spacing), s[-1])
    return np.stack([np.interp(stations, s, polyline[:, i]) for i in range(2)], axis=-1)


class ExpertPlan:
    """One timed plan: joint positions as a function of time from the episode start."""

    def __init__(
        self,
        scene: TaskScene,
        side: str,
        settings: ExpertSettings = ExpertSettings(),
        geometry: ArmGeometry = ArmGeometry(),
    ):
        self.scene, self.side, self.settings = scene, side, settings
        radius = scene.collision_distance + settings.clearance
        self.tool_path = tool_path(scene, side, radius, settings.path_resolution)
        self.joint_path = inverse_kinematics(self.tool_path, elbow_up=True, geometry=geometry)
        # Start exactly where the arm is, so the first command is no jump.
        self.joint_path[0] = scene.home_q
        low, high = np.asarray(geometry.lower_limits), np.asarray(geometry.upper_limits)
        if np.any(self.joint_path < low) or np.any(self.joint_path > high):
            raise ValueError(f'plan for target {scene.target_xy} ({side}) leaves the joint limits')
        self.times = self._time_stamps(geometry)

    def _time_stamps(self, geometry: ArmGeometry) -> np.ndarray:
        st = self.settings
        seg = np.linalg.norm(np.diff(self.tool_path, axis=0), axis=1)
        s_mid = np.cumsum(seg) - seg / 2
        length = float(seg.sum())
        joint_step = np.abs(np.diff(self.joint_path, axis=0)).max(axis=1)
        # Speed at each segment's middle: ramp up, cruise, ramp down (trapezoid in
        # distance), and never a joint faster than the allowed fraction of its limit.
        speed = np.minimum.reduce(
            [
                np.full_like(seg, st.tool_speed),
                np.sqrt(2 * st.tool_acceleration * s_mid),
                np.sqrt(2 * st.tool_acceleration * np.maximum(length - s_mid, 0.0)),
            ]
        )
        seg_time = seg / np.maximum(speed, 1e-6)
        joint_time = joint_step / (st.joint_speed_fraction * geometry.max_velocity)
        return np.concatenate([[0.0], np.cumsum(np.maximum(seg_time, joint_time))])

    @property
    def duration(self) -> float:
        return float(self.times[-1])

    @property
    def length(self) -> float:
        return float(np.linalg.norm(np.diff(self.tool_path, axis=0), axis=1).sum())

    def joint_positions_at(self, t: float) -> np.ndarray:
        """Planned joint positions at time t (held at the ends)."""
        return np.array([np.interp(t, self.times, self.joint_path[:, j]) for j in range(2)])

    def tool_position_at(self, t: float) -> np.ndarray:
        return np.array([np.interp(t, self.times, self.tool_path[:, j]) for j in range(2)])


class ScriptedExpert:
    """`reset(scene, rng)` at the start of an episode, then `action(t, dt)` every step."""

    def __init__(
        self, settings: ExpertSettings = ExpertSettings(), geometry: ArmGeometry = ArmGeometry()
    ):
        self.settings, self.geometry = settings, geometry
        self.plan: ExpertPlan | None = None

    def reset(
        self, scene: TaskScene, rng: np.random.Generator | None, side: str | None = None
    ) -> ExpertPlan:
        """Pick the side (a fair coin from rng unless given) and plan the episode."""
        if side is None:
            if rng is None:
                raise ValueError('ScriptedExpert.reset: give rng (to pick the side) or side')
            side = SIDES[int(rng.integers(2))]
        self.plan = ExpertPlan(scene, side, self.settings, self.geometry)
        return self.plan

    @property
    def side(self) -> str:
        return self._plan().side

    def _plan(self) -> ExpertPlan:
        if self.plan is None:
            raise RuntimeError('ScriptedExpert: call reset(scene, rng) before action()')
        return self.plan

    def action(self, t: float, dt: float) -> np.ndarray:
        """
        Return the joint command at time t for a step of length dt.

        That is where the plan is at t + dt.
        """
        return self._plan().joint_positions_at(t + dt)

    def pose_action(self, t: float, dt: float) -> np.ndarray:
        """Return the tool pose target [7] in base_link at time t for a step of length dt."""
        return tool_pose(self._plan().tool_position_at(t + dt))

    def gripper_action(self, t: float, dt: float = 0.0) -> float:
        """Return the finger command at time t, m: this task never grasps, so open."""
        return GRIPPER_OPEN

    def command_steps(self, dt: float) -> int:
        """Return how many commands, one every dt from t = 0, it takes to finish."""
        return math.ceil(self._plan().duration / dt - STEP_TOLERANCE)

    def finished(self, t: float) -> bool:
        return t >= self._plan().duration
