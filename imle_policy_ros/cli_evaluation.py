# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""`eval` and `replay`: their own options, and the reports they print."""

from __future__ import annotations

import json

from .cli_settings import command_options
from .errors import Refusal
from .evaluation.closed_loop import EvalConfig
from .evaluation.simulated_controller import SimulatedRunConfig
from .runtime.sessions import InferenceConfig
from .settings import nested, setting
from .simulators import metaworld_task, simulator_setting


@command_options
class EvalCommand:
    model: str = setting(description='bundle directory, e.g. models/reach_default')
    env: str = simulator_setting()
    inference: InferenceConfig = nested(InferenceConfig)
    plot: str | None = setting(None, 'tool paths of all episodes over the scene', metavar='PNG')
    video: str | None = setting(None, 'the camera view of the first episode', metavar='MP4')
    json: bool = setting(False, 'print one JSON object instead of the text report')
    progress: bool = setting(True, 'show a progress bar')


def run_eval(command: EvalCommand, cfg: EvalConfig) -> int:
    from .evaluation.closed_loop import evaluate
    from .evaluation.start_modes import start_mode_shares
    from .runtime import load_bundle

    inference = command.inference
    bundle = load_bundle(command.model, inference.providers, inference.inference_threads)
    frames: list | None = [] if command.video else None
    if command.env == 'pusht':
        from .cli_pusht import run_pusht_eval

        return run_pusht_eval(command, cfg, bundle, frames)
    if metaworld_task(command.env):
        from .cli_metaworld import run_metaworld_eval

        return run_metaworld_eval(command, metaworld_task(command.env), cfg, bundle, frames)
    report = evaluate(
        bundle, cfg, progress=command.progress and not command.json, first_episode_frames=frames
    )
    summary = {**report.summary(), **start_mode_shares(bundle, seed=cfg.seed)}
    if command.plot:
        from .evaluation.pictures import draw_paths

        summary['plot'] = str(draw_paths(report, command.plot, title=f'{command.model}'))
    if command.video:
        from .evaluation.pictures import write_video

        summary['video'] = str(write_video(frames, command.video, fps=cfg.camera_rate_hz))
    if command.json:
        print(json.dumps(summary))
        return 0
    controller = cfg.run.controller
    mode_shares = ', '.join(f'{k} {v:.0%}' for k, v in summary['mode_share'].items())
    consistency = 'on' if controller.temporal_consistency else 'off'
    print(
        f'model {command.model}: {summary["episodes"]} episodes, '
        f'provider {bundle.encoder_provider}'
    )
    grasp = ''
    if bundle.spec.ee_layout is not None and bundle.spec.ee_layout.gripper is not None:
        grasp = (
            f', closed off the target {summary["grasped_early_rate"]:.0%}; gripper changes per '
            f'episode {summary["gripper_changes_per_episode"]:.2f}'
        )
    print(
        f'  success {summary["success_rate"]:.0%} (collisions {summary["collision_rate"]:.0%}, '
        f'timeouts {summary["timeout_rate"]:.0%}{grasp})'
    )
    print(f'  solutions {mode_shares}; switches per episode {summary["switches_per_episode"]:.2f}')
    print(
        f'  at the start, {summary["scenes_offering_both_sides"]:.0%} of scenes offer both '
        f'sides ({summary["start_share_right"]:.0%} of sampled chunks go right)'
    )
    print(
        f'  inference p50 {summary["inference_ms_p50"]:.1f} ms, p99 '
        f'{summary["inference_ms_p99"]:.1f} ms (N = {controller.num_samples}, temporal '
        f'consistency {consistency})'
    )
    for key in ('plot', 'video'):
        if key in summary:
            print(f'  {key}: {summary[key]}')
    return 0


@command_options
class ReplayCommand:
    recording: str = setting(
        description='a bag (directory or .mcap/.db3 file), or a dataset directory (meta.json)',
        positional=True,
    )
    model: str = setting(description='bundle directory')
    episode: int = setting(0, 'with a dataset: which episode', min=0)
    config: str = setting(
        'sim.yaml',
        'with a bag: the deploy config whose image_topics, joint_state_topic and '
        "command_topic to read (the node's own topics), and whose control_rate_hz to tick at",
    )
    image_topic: tuple[str, ...] | None = setting(
        None, "override the config's image topics", repeat=True
    )
    joint_state_topic: str | None = setting(None, "override the config's joint_state_topic")
    action_topic: str | None = setting(None, "override the config's command_topic")
    rate: float = setting(30.0, 'with a bag: feed the recording at this rate (Hz)', min=0.1)
    output: str = setting('replay.png', 'the picture (PNG)', short='-o')
    json: bool = setting(False, 'print one JSON object instead of the text report')


def run_replay(command: ReplayCommand, run: SimulatedRunConfig) -> int:
    from dataclasses import replace

    from .evaluation.replay import replay_episode
    from .evaluation.replay_picture import draw_replay
    from .evaluation.replay_sources import load_recording
    from .runtime import load_bundle

    bundle = load_bundle(command.model)
    if not bundle.spec.cameras:
        raise Refusal(
            f'{command.model} is a state policy (no cameras): replay feeds recorded frames and '
            'joint states, not the extras its state is made of; evaluate it closed-loop instead '
            '(eval --env pusht for Push-T)'
        )
    recording, control_rate_hz = load_recording(command, bundle)
    report = replay_episode(bundle, recording, replace(run, control_rate_hz=control_rate_hz))
    summary = {**report.summary(), 'picture': str(draw_replay(report, command.output))}
    if command.json:
        print(json.dumps(summary))
        return 0
    print(f'{summary["episode"]}: {summary["inferences"]} inferences of {command.model}')
    for name in report.action_names:
        print(
            f'  {name}: MAE executed {summary["mae_executed"][name]:.4f} (best of N '
            f'{summary["mae_executed_best_of_n"][name]:.4f}, holding still '
            f'{summary["mae_executed_holding_still"][name]:.4f}); whole chunk '
            f'{summary["mae_chunk"][name]:.4f}'
        )
    print(f'  picture: {summary["picture"]}')
    return 0
