# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated world: arm + task + camera, advanced in physics steps.

Physics time is separate from any camera or control rate: `advance(dt)` integrates dt
in steps of at most `physics_dt`, and the caller renders a frame (`camera_frame`)
whenever its camera would. So the same env serves demonstrations at the dataset rate,
a closed-loop eval at a 50 Hz control rate with 10 Hz frames, and a ROS node driven by
timers.

A collision (the swept tool segment touching the obstacle) freezes the arm where it
was, as a safety stop would. The outcome is latched at the first event: success (tool
on the target before any collision and within the time limit), collision, or timeout;
the tool's path is recorded at every physics step until then, for `side` and
`switches`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import render
from .planar_arm import ArmGeometry, JOINT_NAMES, PlanarArm
from .reach_task import (
    count_side_switches,
    on_target,
    sample_scene,
    side_of,
    TaskScene,
    TIME_LIMIT_S,
    tool_collides,
)


@dataclass(frozen=True)
class ReachStatus:
    success: bool
    collision: bool
    timeout: bool
    time: float  # s since reset
    side: str | None  # side the tool went past the obstacle, None if not (yet)
    switches: int  # side changes on the way to the obstacle (0 for a decisive policy)
    distance_to_target: float  # m, tool centre to target centre

    @property
    def done(self) -> bool:
        return self.success or self.collision or self.timeout


class ReachEnv:
    joint_names = JOINT_NAMES

    def __init__(
        self,
        seed: int | None = None,
        physics_dt: float = 0.01,
        time_limit: float = TIME_LIMIT_S,
        image_size: int = 96,
        geometry: ArmGeometry = ArmGeometry(),
    ):
        if not physics_dt > 0:
            raise ValueError(f'physics_dt must be > 0, got {physics_dt}')
        self.physics_dt = float(physics_dt)
        self.time_limit = float(time_limit)
        self.image_size = int(image_size)
        self.geometry = geometry
        self._rng = np.random.default_rng(seed)
        self.reset()

    def reset(self, seed: int | None = None, scene: TaskScene | None = None) -> None:
        """
        Start a new episode, with the arm at home and the clock at zero.

        The scene is a random one (from `seed` if given, else the env's own stream) or the
        `scene` given.
        """
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.scene = scene if scene is not None else sample_scene(self._rng)
        self.arm = PlanarArm(self.scene.home_q, self.geometry)
        self._time = 0.0
        self._path = [self.arm.ee_position]
        self._success_time: float | None = None
        self._collision_time: float | None = None

    # ---- acting -------------------------------------------------------------------------
    def command(self, q_target) -> None:
        """Joint position target (clipped to limits; non-finite raises ValueError)."""
        self.arm.command(q_target)

    def advance(self, dt: float) -> None:
        """Let dt seconds pass, in physics steps of at most physics_dt."""
        if dt < 0:
            raise ValueError(f'dt must be >= 0, got {dt}')
        remaining = float(dt)
        # The epsilon keeps float residue (0.1 - 10*0.01) from adding a 1e-17 s step.
        while remaining > 1e-12:
            h = min(self.physics_dt, remaining)
            self._physics_step(h)
            remaining -= h

    def _physics_step(self, h: float) -> None:
        undecided = self._outcome_open()
        q_before, tool_before = self.arm.positions, self.arm.ee_position
        if self._collision_time is None:
            self.arm.advance(h)
        self._time += h
        tool = self.arm.ee_position
        # Checked even after the outcome is decided: a running node must still stop.
        if self._collision_time is None and tool_collides(tool_before, tool, self.scene):
            self._collision_time = self._time
            # The safety stop holds the arm where it was before touching; later commands
            # are accepted but nothing moves until reset.
            self.arm.reset(q_before)
            tool = tool_before
        if undecided:
            if self._collision_time is None and on_target(tool, self.scene):
                self._success_time = self._time
            # Recorded only until the outcome is decided: bounded memory in a long-running
            # node, and nothing after the episode's end changes its side or switches.
            if not np.array_equal(tool, self._path[-1]):
                self._path.append(tool)

    def _outcome_open(self) -> bool:
        return (
            self._success_time is None
            and self._collision_time is None
            and self._time < self.time_limit
        )

    # ---- observing ----------------------------------------------------------------------
    def camera_frame(self) -> np.ndarray:
        """uint8 RGB [image_size, image_size, 3] of the scene now."""
        return render(self.scene, self.arm.positions, self.image_size, self.geometry)

    @property
    def joint_positions(self) -> np.ndarray:
        return self.arm.positions

    @property
    def joint_velocities(self) -> np.ndarray:
        return self.arm.velocities

    @property
    def tool_position(self) -> np.ndarray:
        return self.arm.ee_position

    @property
    def time(self) -> float:
        return self._time

    @property
    def tool_path(self) -> np.ndarray:
        """[N, 2] tool positions from reset until the outcome was decided."""
        return np.array(self._path)

    def status(self) -> ReachStatus:
        path = self.tool_path
        return ReachStatus(
            success=self._success_time is not None,
            collision=self._collision_time is not None,
            timeout=self._success_time is None
            and self._collision_time is None
            and self._time >= self.time_limit,
            time=self._time,
            side=side_of(path, self.scene),
            switches=count_side_switches(path, self.scene),
            distance_to_target=float(
                np.linalg.norm(self.arm.ee_position - np.asarray(self.scene.target_xy))
            ),
        )
