# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated world: arm + gripper + task + camera, advanced in physics steps.

Physics time is separate from any camera or control rate: `advance(dt)` integrates dt
in steps of at most `physics_dt`, and the caller renders a frame (`camera_frame`)
whenever its camera would. So the same env serves demonstrations at the dataset rate,
a closed-loop eval at a 50 Hz control rate with 10 Hz frames, and a ROS node driven by
timers.

A collision (the swept tool segment touching the obstacle) freezes the arm where it
was, as a safety stop would. The outcome is latched at the first event: success (tool
on the target before any collision and within the time limit), collision, or timeout;
the tool's path is recorded at every physics step until then, for `side` and
`switches`. The grasp task (`task='reach_and_grasp'`, sim/grasp_task.py) adds a fourth
outcome, `grasped_early`, and makes success wait for the gripper to close on the target; the
reach task ignores the gripper.

Two views of the same robot: the joint interface (`command`, `joint_positions`), and the
end-effector one (`command_pose` / `command_twist` through sim/cartesian_arm.py, `ee_pose`,
`command_gripper`, `gripper_position`). Without Cartesian commands and in the reach task, the
arm moves exactly as a bare PlanarArm would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .camera import render
from .cartesian_arm import CartesianArm
from .grasp_task import check_task, grasp_event, GRASP_TASK_NAME
from .gripper import Gripper, GRIPPER_JOINT
from .planar_arm import ArmGeometry, JOINT_NAMES, PlanarArm
from .reach_task import (
    count_side_switches,
    on_target,
    sample_scene,
    side_of,
    TASK_NAME,
    TaskScene,
    TIME_LIMIT_S,
    tool_collides,
)
from .sim_topics import BASE_FRAME


@dataclass(frozen=True)
class ReachStatus:
    success: bool
    collision: bool
    timeout: bool
    time: float  # s since reset
    side: str | None  # side the tool went past the obstacle, None if not (yet)
    switches: int  # side changes on the way to the obstacle (0 for a decisive policy)
    distance_to_target: float  # m, tool centre to target centre
    grasped_early: bool = False  # grasp task: the gripper closed off the target

    @property
    def done(self) -> bool:
        return self.success or self.collision or self.timeout or self.grasped_early

    @property
    def outcome(self) -> str:
        """Return 'success', 'collision', 'grasped_early', 'timeout' or 'running'."""
        for name in ('success', 'collision', 'grasped_early', 'timeout'):
            if getattr(self, name):
                return name
        return 'running'


class ReachEnv:
    joint_names = JOINT_NAMES
    # What a robot with the gripper reports in /joint_states.
    all_joint_names = JOINT_NAMES + (GRIPPER_JOINT,)

    def __init__(
        self,
        seed: int | None = None,
        physics_dt: float = 0.01,
        time_limit: float = TIME_LIMIT_S,
        image_size: int = 96,
        geometry: ArmGeometry = ArmGeometry(),
        task: str = TASK_NAME,
    ):
        self.task = check_task(task)
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
        self.cartesian = CartesianArm(self.arm)
        self.gripper = Gripper()
        self._time = 0.0
        self._path = [self.arm.ee_position]
        self._success_time: float | None = None
        self._collision_time: float | None = None
        self._grasped_early_time: float | None = None

    # ---- acting -------------------------------------------------------------------------
    def command(self, q_target) -> None:
        """Joint position target (clipped to limits; non-finite raises ValueError)."""
        self.cartesian.command_joints(q_target)

    def command_pose(self, pose, frame_id: str = BASE_FRAME) -> None:
        """Tool pose target [7] (only x, y count); out of reach: clamped, and counted."""
        self.cartesian.command_pose(pose, frame_id)

    def command_twist(self, linear, angular=(0.0, 0.0, 0.0), frame_id: str = BASE_FRAME) -> None:
        """Tool velocity (linear x, y in m/s count) for up to 0.1 s, or until the next twist."""
        self.cartesian.command_twist(linear, angular, frame_id)

    def command_gripper(self, position) -> None:
        """Finger position target, m (0.04 open .. 0.0 closed; clipped to that travel)."""
        self.gripper.command(position)

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
            self.cartesian.advance(h)
            self.gripper.advance(h)
        self._time += h
        tool = self.arm.ee_position
        # Checked even after the outcome is decided: a running node must still stop.
        if self._collision_time is None and tool_collides(tool_before, tool, self.scene):
            self._collision_time = self._time
            # The safety stop holds the arm where it was before touching; later commands
            # are accepted but nothing moves until reset.
            self.arm.reset(q_before)
            self.cartesian.stop()
            tool = tool_before
        if undecided:
            if self._collision_time is None:
                self._decide(tool)
            # Recorded only until the outcome is decided: bounded memory in a long-running
            # node, and nothing after the episode's end changes its side or switches.
            if not np.array_equal(tool, self._path[-1]):
                self._path.append(tool)

    def _decide(self, tool: np.ndarray) -> None:
        if self.task != GRASP_TASK_NAME:
            if on_target(tool, self.scene):
                self._success_time = self._time
            return
        event = grasp_event(on_target(tool, self.scene), self.gripper.position)
        if event == 'success':
            self._success_time = self._time
        elif event == 'grasped_early':
            self._grasped_early_time = self._time

    def _outcome_open(self) -> bool:
        return (
            self._success_time is None
            and self._collision_time is None
            and self._grasped_early_time is None
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
    def ee_pose(self) -> np.ndarray:
        """Measured tool pose [7] in base_link: (x, y, 0) and the identity (no wrist)."""
        return self.cartesian.ee_pose

    @property
    def gripper_position(self) -> float:
        """Measured finger position, m."""
        return self.gripper.position

    @property
    def all_joint_positions(self) -> np.ndarray:
        """[3]: shoulder, elbow, gripper_finger (all_joint_names), as /joint_states has them."""
        return np.append(self.arm.positions, self.gripper.position)

    @property
    def all_joint_velocities(self) -> np.ndarray:
        return np.append(self.arm.velocities, self.gripper.velocity)

    @property
    def clamped_targets(self) -> int:
        """Cartesian targets (pose commands, twists) moved into reach since reset."""
        return self.cartesian.clamped_targets

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
            and self._grasped_early_time is None
            and self._time >= self.time_limit,
            time=self._time,
            side=side_of(path, self.scene),
            switches=count_side_switches(path, self.scene),
            distance_to_target=float(
                np.linalg.norm(self.arm.ee_position - np.asarray(self.scene.target_xy))
            ),
            grasped_early=self._grasped_early_time is not None,
        )
