# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Replay: a model run offline over a recorded demonstration, as the policy node would run it.

The recording's frames and joint states are fed to the same PolicyController at their
stamps, on simulated time, with the inference latency simulated (measured, or fixed); the
controller ticks at control rate and decides when to infer, exactly as on the robot. The
arm does not follow the model here (open loop): what is compared is each chunk the model
chose against what the demonstrator commanded at the same moments.

Waypoint k of a chunk is due at `times[k]`, one step after it is commanded
(ControllerConfig.action_delay_steps); the recorded action it is compared with is the one
commanded at `times[k] - delay`. Two errors per inference:
- chosen: the chunk the controller would execute (temporal consistency included);
- best of N: the closest of all N sampled chunks. A multimodal demo set makes "chosen" large
  when the model picks the other valid way (left instead of right), while best of N stays
  small if that demonstrator's way is among the samples: the two together tell a wrong
  model from a model that chose differently.
Both over the executed part (action_horizon waypoints from the observation on) and over the
whole chunk. Held out demos are the check before a model touches the arm.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from . import replay_inputs
from .simulated_controller import simulated_controller, SimulatedRunConfig
from ..control.clock import SimulatedClock
from ..runtime import PolicyBundle


@dataclass
class RecordedEpisode:
    """
    What replay needs of a recording.

    Per-camera frames and joint states at stamps, and the commanded actions (columns named
    by action_names).
    """

    stamps: np.ndarray  # [T] s
    frames: dict  # camera name -> uint8 [T, H, W, 3]
    joint_names: list  # the state's names (joint names, or an ee_pose layout's state names)
    joint_positions: np.ndarray  # [T, S] the states
    action_names: list
    actions: np.ndarray  # [T, A]
    name: str = 'episode'


@dataclass
class ReplayedChunk:
    t_obs: float
    times: np.ndarray  # [P] when each waypoint is due
    chosen: np.ndarray  # [P, A] the chunk the controller chose
    samples: np.ndarray  # [N, P, A] every sampled chunk (unnormalized)
    recorded: (
        np.ndarray
    )  # [P, A] the demonstrator's commands at the same moments (NaN outside the recording)


@dataclass
class ReplayReport:
    episode: str
    action_names: list
    action_horizon: int
    obs_horizon: int
    chunks: list = field(default_factory=list)
    recorded_times: np.ndarray | None = None  # [T] command times
    recorded_actions: np.ndarray | None = None  # [T, A]

    def _errors(self, executed_only: bool) -> dict:
        """
        Return the mean absolute error per joint of each kind.

        Of the chosen chunks, of the best of N, and of holding still at the command in force
        at the observation (the scale to read them on).
        """
        start = self.obs_horizon - 1
        stop = start + self.action_horizon if executed_only else None
        errors = {'chosen': [], 'best_of_n': [], 'hold': []}
        for c in self.chunks:
            recorded = c.recorded[start:stop]
            valid = np.all(np.isfinite(recorded), axis=1)
            if not valid.any():
                continue
            recorded = recorded[valid]
            errors['chosen'].append(np.abs(c.chosen[start:stop][valid] - recorded).mean(axis=0))
            per_sample = np.abs(c.samples[:, start:stop][:, valid] - recorded).mean(
                axis=1
            )  # [N, A]
            errors['best_of_n'].append(per_sample[np.argmin(per_sample.mean(axis=1))])
            held = recorded_at(self.recorded_times, self.recorded_actions, np.array([c.t_obs]))[0]
            errors['hold'].append(np.abs(recorded - held).mean(axis=0))
        nan = np.full(len(self.action_names), np.nan)
        return {k: np.mean(v, axis=0) if v else nan for k, v in errors.items()}

    def summary(self) -> dict:
        def per_joint(values):
            return {n: float(v) for n, v in zip(self.action_names, values)}

        out = {'episode': self.episode, 'inferences': len(self.chunks)}
        for part, executed_only in (('executed', True), ('chunk', False)):
            errors = self._errors(executed_only)
            out[f'mae_{part}'] = per_joint(errors['chosen'])
            out[f'mae_{part}_best_of_n'] = per_joint(errors['best_of_n'])
            out[f'mae_{part}_holding_still'] = per_joint(errors['hold'])
        return out


class _RecordingRunner:
    """The controller's runner, keeping every finished inference for the report."""

    def __init__(self):
        self.runner = None
        self.results = []

    def wrap(self, runner) -> '_RecordingRunner':
        self.runner = runner
        return self

    @property
    def busy(self) -> bool:
        return self.runner.busy

    def submit(self, job, tag=None) -> bool:
        return self.runner.submit(job, tag)

    def poll(self):
        result = self.runner.poll()
        if result is not None and result.error is None:
            self.results.append(result)
        return result

    def discard(self) -> None:
        self.runner.discard()

    def stop(self) -> None:
        self.runner.stop()


def _camera_order(bundle: PolicyBundle, episode: RecordedEpisode) -> list[str]:
    """
    Return the episode's camera for each of the bundle's cameras.

    By name when the names match, else by position, as the node feeds image_topics[i] to the
    bundle's camera i.
    """
    wanted = [c.name for c in bundle.spec.cameras]
    recorded = list(episode.frames)
    if all(name in recorded for name in wanted):
        return wanted
    if len(wanted) == len(recorded):
        return recorded
    raise ValueError(
        f'{episode.name}: the model wants cameras {wanted}, the recording has {recorded}'
    )


def replay_episode(
    bundle: PolicyBundle,
    episode: RecordedEpisode,
    run: SimulatedRunConfig | None = None,
    seed: int = 0,
) -> ReplayReport:
    """Run `bundle` over `episode` as the node would (see the module docstring)."""
    run = run or SimulatedRunConfig()
    # recorded frames are the dataset's, where depth is already grey (data/bag_images)
    bundle = dataclasses.replace(bundle, spec=bundle.spec.taking_dataset_frames())
    spec = bundle.spec
    cameras = _camera_order(bundle, episode)
    missing = [a for a in spec.action_names if a not in episode.action_names]
    if missing:
        raise ValueError(
            f"{episode.name}: the model commands {missing}; the recording's actions are "
            f'{list(episode.action_names)}'
        )
    action_columns = [list(episode.action_names).index(a) for a in spec.action_names]
    recorded_actions = np.asarray(episode.actions, dtype=np.float64)[:, action_columns]
    stamps = np.asarray(episode.stamps, dtype=np.float64)

    clock = SimulatedClock(float(stamps[0]))
    runner = _RecordingRunner()
    limits = replay_inputs.open_loop_limits(spec)
    controller = simulated_controller(bundle, limits, clock, run, seed, wrap_runner=runner.wrap)

    period, fed = 1.0 / run.tick_rate(), 0
    while clock.now() <= stamps[-1] + 1e-9:
        while fed < len(stamps) and stamps[fed] <= clock.now() + 1e-9:
            for i, camera in enumerate(cameras):
                controller.on_frame(i, float(stamps[fed]), episode.frames[camera][fed])
            replay_inputs.feed_state(
                controller,
                spec,
                float(stamps[fed]),
                episode.joint_names,
                episode.joint_positions[fed],
            )
            fed += 1
        controller.tick()
        clock.advance(period)

    delay = controller.config.action_delay_steps * spec.dt
    report = ReplayReport(
        episode.name,
        list(spec.action_names),
        spec.action_horizon,
        spec.obs_horizon,
        recorded_times=stamps,
        recorded_actions=recorded_actions,
    )
    for result in runner.results:
        observation, times = result.tag
        output = result.value
        samples = np.stack(
            [
                replay_inputs.as_recorded(spec, spec.action_stats.unnormalize(s), observation)
                for s in output.samples_normalized
            ]
        )
        report.chunks.append(
            ReplayedChunk(
                observation.t_obs,
                times,
                replay_inputs.as_recorded(spec, output.actions, observation),
                samples,
                recorded_at(stamps, recorded_actions, times - delay),
            )
        )
    return report


def recorded_at(stamps: np.ndarray, actions: np.ndarray, times: np.ndarray) -> np.ndarray:
    """
    Return the recorded command in force at each time.

    The latest at or before it, as a controller holds it; NaN before the first or after the
    last.
    """
    index = np.searchsorted(stamps, times + 1e-9, side='right') - 1
    out = np.full((len(times), actions.shape[1]), np.nan)
    inside = (index >= 0) & (times <= stamps[-1] + 1e-9)
    out[inside] = actions[index[inside]]
    return out
