# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The task: reach a randomly placed target behind an obstacle, passing it left or right.

Seen from above (REP-103: +x forward, +y left), the tool starts at a fixed home pose in
front of the base, an obstacle disc sits straight ahead, and the target disc is placed
at random in a region beyond it. The target is known only from the camera image, and
going around either side is about equally long, so the demonstrations have two modes.

Only the tool collides: the links are taken to move above the obstacle (a low block on
the table, with the tool reaching down to it). With links colliding as well, a planar
arm based behind the obstacle could not reach past it at all; with the tool alone, the
scripted expert's geometry (a disc of clearance around the obstacle) is exactly the
rule that is checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .planar_arm import ArmGeometry, forward_kinematics, inverse_kinematics

TASK_NAME = 'reach_around_obstacle'
HOME_EE_XY = (0.35, 0.0)
OBSTACLE_XY = (0.55, 0.0)
OBSTACLE_RADIUS = 0.07
TOOL_RADIUS = 0.02
# The drawn target disc is the success zone: "the tool is on the target" in the image
# means success, and vice versa.
TARGET_RADIUS = 0.04
# Beyond the obstacle, narrow enough across that neither side is much shorter: the
# longer way is ~9% longer on average, 25% at the near corners of the region.
TARGET_X_RANGE = (0.76, 0.88)
TARGET_Y_RANGE = (-0.10, 0.10)
TIME_LIMIT_S = 10.0
SIDES = ('left', 'right')


def home_joint_positions(geometry: ArmGeometry = ArmGeometry()) -> tuple[float, float]:
    q = inverse_kinematics(HOME_EE_XY, elbow_up=True, geometry=geometry)
    return float(q[0]), float(q[1])


@dataclass(frozen=True)
class TaskScene:
    target_xy: tuple[float, float]
    obstacle_xy: tuple[float, float] = OBSTACLE_XY
    obstacle_radius: float = OBSTACLE_RADIUS
    home_q: tuple[float, float] = home_joint_positions()
    target_radius: float = TARGET_RADIUS
    tool_radius: float = TOOL_RADIUS

    @property
    def home_ee_xy(self) -> np.ndarray:
        return forward_kinematics(self.home_q)

    @property
    def collision_distance(self) -> float:
        """Tool centre closer than this to the obstacle centre is a collision."""
        return self.obstacle_radius + self.tool_radius


def sample_scene(rng: np.random.Generator) -> TaskScene:
    """Return a scene with the target uniform in the region beyond the obstacle."""
    x = rng.uniform(*TARGET_X_RANGE)
    y = rng.uniform(*TARGET_Y_RANGE)
    return TaskScene(target_xy=(float(x), float(y)))


def distance_to_segment(point, p0, p1) -> float:
    """Shortest distance from `point` to the segment p0-p1 (all [2])."""
    point, p0, p1 = (np.asarray(v, dtype=np.float64) for v in (point, p0, p1))
    d = p1 - p0
    length2 = float(d @ d)
    t = 0.0 if length2 == 0.0 else float(np.clip((point - p0) @ d / length2, 0.0, 1.0))
    return float(np.linalg.norm(p0 + t * d - point))


def tool_collides(p0, p1, scene: TaskScene) -> bool:
    """
    Check whether the tool, moving in a straight line from p0 to p1, touches the obstacle.

    The swept segment (not just its end) is checked, so no step size tunnels through.
    """
    return distance_to_segment(scene.obstacle_xy, p0, p1) < scene.collision_distance


def tool_clearance(xy, scene: TaskScene) -> np.ndarray:
    """Gap between tool and obstacle surfaces for tool positions xy [..., 2] (< 0: collision)."""
    xy = np.asarray(xy, dtype=np.float64)
    return np.linalg.norm(xy - np.asarray(scene.obstacle_xy), axis=-1) - scene.collision_distance


def on_target(xy, scene: TaskScene) -> bool:
    return (
        float(np.linalg.norm(np.asarray(xy, dtype=np.float64) - np.asarray(scene.target_xy)))
        <= scene.target_radius
    )


def _line_coordinates(path_xy, scene: TaskScene) -> tuple[np.ndarray, np.ndarray, float, float]:
    """
    Return the along / left-of coordinates of the path and of the obstacle centre.

    They are in the frame of the line from the home tool position to the target.
    """
    path = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    origin = scene.home_ee_xy
    u = np.asarray(scene.target_xy) - origin
    u = u / np.linalg.norm(u)

    def coords(p):
        rel = p - origin
        return rel @ u, u[0] * rel[..., 1] - u[1] * rel[..., 0]  # along, left (cross product)

    along, lateral = coords(path)
    obs_along, obs_lateral = coords(np.asarray(scene.obstacle_xy, dtype=np.float64))
    return along, lateral, float(obs_along), float(obs_lateral)


def side_of(path_xy, scene: TaskScene) -> str | None:
    """
    "left" or "right": the side on which the tool first went past the obstacle.

    "Past" is crossing the perpendicular to the home-to-target line through the
    obstacle centre; the side is where the tool was there relative to the obstacle
    centre. None if the path never got past (e.g. stuck in front, or collided).
    """
    along, lateral, obs_along, obs_lateral = _line_coordinates(path_xy, scene)
    crossed = np.flatnonzero((along[:-1] < obs_along) & (along[1:] >= obs_along))
    if crossed.size == 0:
        return None
    i = int(crossed[0])
    w = (obs_along - along[i]) / (along[i + 1] - along[i])
    lateral_at_crossing = (1 - w) * lateral[i] + w * lateral[i + 1]
    return 'left' if lateral_at_crossing > obs_lateral else 'right'


def count_side_switches(
    path_xy, scene: TaskScene, dead_band: float = 0.02, near: float = 0.25
) -> int:
    """
    How often the tool changed its mind about the side while approaching the obstacle.

    Counted on the tool's offset from the home-to-target line, for points before the
    obstacle (not yet past it) and within `near` of its centre. An offset must leave a
    dead band of +-`dead_band` to count as a side, so jitter on the line is no switch.
    A policy that averages the two modes dithers here; a decisive one scores 0.
    """
    path = np.asarray(path_xy, dtype=np.float64).reshape(-1, 2)
    along, lateral, obs_along, _ = _line_coordinates(path, scene)
    dist = np.linalg.norm(path - np.asarray(scene.obstacle_xy), axis=-1)
    approaching = (along <= obs_along) & (dist < near)
    side, switches = 0, 0
    for offset in lateral[approaching]:
        now = 1 if offset > dead_band else -1 if offset < -dead_band else 0
        if now != 0:
            if side != 0 and now != side:
                switches += 1
            side = now
    return switches
