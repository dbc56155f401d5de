# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Closed-loop evaluation in the built-in simulator, as the robot would run it.

It goes through the same PolicyController the ROS node uses and the ONNX bundle: what is
measured here is what the robot would run.

Simulated time throughout: the camera delivers frames at `camera_rate_hz`, joint states arrive
every control tick, the controller ticks at `control_rate_hz`, and inference results become
available after the time the inference really took on this machine (or a fixed latency,
for runs that must not depend on the machine).

A joint_position bundle commands the arm's joints; an ee_pose bundle commands the tool
pose (the simulator's own IK follows it, as a Cartesian motion controller would) and the
gripper, and sees the measured pose and the finger position, as it would on the robot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .simulated_controller import simulated_controller, SimulatedRunConfig
from .simulated_robot import arm_limits, SimulatedRobot, tool_limits
from ..control.cartesian_executor import CartesianLimits
from ..control.chunk_executor import JointLimits
from ..control.clock import SimulatedClock
from ..runtime import PolicyBundle
from ..runtime.policy_spec import PolicySpec
from ..settings import check_settings, nested, setting
from ..sim.grasp_task import GRASP_TASK_NAME
from ..sim.reach_env import ReachEnv
from ..sim.reach_task import TASK_NAME

EVAL_SEED_BASE = 1_000_000  # far from the seeds sim-demos draws training scenes from
SIM_EPISODES = 100


@dataclass(frozen=True)
class EvalConfig:
    run: SimulatedRunConfig = nested(SimulatedRunConfig)
    episodes: int | None = setting(
        None,
        f'closed-loop episodes (default: {SIM_EPISODES}; pusht: 50, the paper protocol)',
        min=1,
        max=1_000_000,
    )
    seed: int = setting(
        0,
        'picks the evaluation scenes (never the training ones) and the policy noise; pusht: '
        'the first env seed is 100000 + this (the paper starts at 100000)',
        min=0,
    )
    camera_rate_hz: float = setting(
        30.0, 'camera frame rate, Hz', min=1.0, max=1000.0, flag='--camera-rate'
    )
    time_limit: float = setting(10.0, 's after which an episode ends as a timeout', min=0.1)
    task: str = setting(
        'auto',
        'the simulator task (auto: reach_and_grasp for a bundle that commands a gripper, '
        'else reach_around_obstacle)',
        choices=('auto', TASK_NAME, GRASP_TASK_NAME),
    )

    def __post_init__(self) -> None:
        check_settings(self)


@dataclass
class EpisodeResult:
    seed: int
    success: bool
    collision: bool
    timeout: bool
    side: str | None
    switches: int
    duration: float
    tool_path: np.ndarray
    target_xy: np.ndarray
    inference_ms: list = field(default_factory=list)
    grasped_early: bool = False
    gripper_changes: int = 0  # commanded open/close changes (ee_pose bundles with a gripper)

    @property
    def closest_approach(self) -> float:
        """Return the smallest distance (m) between the tool and the target centre."""
        path = np.asarray(self.tool_path, dtype=np.float64).reshape(-1, 2)
        return float(np.min(np.linalg.norm(path - np.asarray(self.target_xy), axis=1)))


@dataclass
class EvalReport:
    episodes: list[EpisodeResult]
    config: EvalConfig

    def summary(self) -> dict:
        n = len(self.episodes)
        sides = [e.side for e in self.episodes if e.success]
        latencies = np.concatenate(
            [e.inference_ms for e in self.episodes if e.inference_ms] or [np.zeros(1)]
        )
        return {
            'episodes': n,
            'success_rate': sum(e.success for e in self.episodes) / n,
            'collision_rate': sum(e.collision for e in self.episodes) / n,
            'timeout_rate': sum(e.timeout for e in self.episodes) / n,
            'grasped_early_rate': sum(e.grasped_early for e in self.episodes) / n,
            'gripper_changes_per_episode': float(
                np.mean([e.gripper_changes for e in self.episodes])
            ),
            # share of each solution among the successful episodes
            'mode_share': {
                s: (sides.count(s) / len(sides) if sides else 0.0) for s in ('left', 'right')
            },
            'switches_per_episode': float(np.mean([e.switches for e in self.episodes])),
            # how close the tool came to the target centre, whatever the outcome
            'mean_closest_approach_m': float(np.mean([e.closest_approach for e in self.episodes])),
            'inference_ms_p50': float(np.percentile(latencies, 50)),
            'inference_ms_p99': float(np.percentile(latencies, 99)),
            'mean_duration_s': float(np.mean([e.duration for e in self.episodes])),
            'temporal_consistency': self.config.run.controller.temporal_consistency,
            'num_samples': self.config.run.controller.num_samples,
        }


def sim_limits(spec: PolicySpec) -> JointLimits | CartesianLimits:
    """Return the simulated arm's limits in the bundle's action space."""
    if spec.action_kind == 'ee_pose':
        return tool_limits()
    return arm_limits()


def eval_task(spec: PolicySpec, cfg: EvalConfig) -> str:
    if cfg.task != 'auto':
        return cfg.task
    layout = spec.ee_layout
    return GRASP_TASK_NAME if layout is not None and layout.gripper else TASK_NAME


def run_episode(
    bundle: PolicyBundle, cfg: EvalConfig, seed: int, frames: list | None = None
) -> EpisodeResult:
    """One episode; appends the camera frames to `frames` when given (for a video)."""
    spec = bundle.spec
    image_size = spec.cameras[0].height
    env = ReachEnv(
        seed=seed, time_limit=cfg.time_limit, image_size=image_size, task=eval_task(spec, cfg)
    )
    env.reset(seed=seed)
    clock = SimulatedClock(0.0)
    controller = simulated_controller(bundle, sim_limits(spec), clock, cfg.run, seed)
    robot = SimulatedRobot(env, spec)
    control_period, camera_period = 1.0 / cfg.run.tick_rate(), 1.0 / cfg.camera_rate_hz
    next_frame, inference_ms = 0.0, []
    while not env.status().done:
        now = clock.now()
        if now >= next_frame - 1e-9:
            frame = env.camera_frame()
            controller.on_frame(0, now, frame)
            if frames is not None:
                frames.append(frame)
            next_frame += camera_period
        robot.report(controller, now)
        command = controller.tick()
        if controller.stats.results > len(inference_ms):
            inference_ms.append(controller.stats.last_inference_ms)
        robot.execute(command)
        env.advance(control_period)
        clock.advance(control_period)
    status = env.status()
    return EpisodeResult(
        seed,
        status.success,
        status.collision,
        status.timeout,
        status.side,
        status.switches,
        status.time,
        np.asarray(env.tool_path),
        np.asarray(env.scene.target_xy),
        inference_ms,
        status.grasped_early,
        robot.gripper_changes,
    )


def evaluate(
    bundle: PolicyBundle,
    cfg: EvalConfig,
    progress: bool = True,
    first_episode_frames: list | None = None,
) -> EvalReport:
    """first_episode_frames: a list to receive the camera frames of episode 0 (for a video)."""
    from tqdm import tqdm

    results = []
    bar = tqdm(
        range(SIM_EPISODES if cfg.episodes is None else cfg.episodes),
        desc='eval',
        unit='episode',
        disable=not progress,
        dynamic_ncols=True,
    )
    for i in bar:
        frames = first_episode_frames if i == 0 else None
        results.append(run_episode(bundle, cfg, EVAL_SEED_BASE + cfg.seed * 10_000 + i, frames))
        bar.set_postfix(success=f'{np.mean([r.success for r in results]):.0%}')
    return EvalReport(results, cfg)
