# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""`sim-demos --env metaworld:TASK` and `eval --env metaworld:TASK`: demos and reports."""

from __future__ import annotations

import json


def run_metaworld_demos(command, task: str, demos) -> int:
    cameras = () if command.state_only else tuple(command.cameras)
    # what both writers take: the task, the scenes, the views, the expert, the output
    scenes = (task, command.episodes, command.output_dir, command.seed, cameras)
    options = (demos.image_size, command.two_way, command.overwrite, command.progress)
    if command.output_format == 'bag':
        return _metaworld_bags(command, scenes + options + (demos.storage, demos.distro))
    from .sim.metaworld_demos import generate_metaworld_demos, metaworld_summary_line

    store = generate_metaworld_demos(*scenes, *options)
    print(metaworld_summary_line(store))
    print(f'dataset: {store.root}')
    return 0


def _metaworld_bags(command, arguments: tuple) -> int:
    import shlex

    from .sim.metaworld_bags import generate_metaworld_bags

    info = generate_metaworld_bags(*arguments)
    steps = [bag['steps'] for bag in info['bags']]
    sides = ', '.join(f'{k} {v}' for k, v in info.get('side_counts', {}).items())
    print(
        f'{len(steps)} {info["task"]} bag demos (expert solved '
        f'{info["expert_success_rate"]:.0%} of {len(info["attempts"])} scenes); steps min '
        f'{min(steps)}, max {max(steps)}' + (f'; ways: {sides}' if sides else '')
    )
    print(f'bags ({info["storage"]}, {info["distro"]}): {command.output_dir}')
    convert = ['imle-policy-ros', 'dataset', str(command.output_dir), '-o', 'DATASET']
    print('to a dataset: ' + shlex.join(convert + info['dataset_arguments']))
    return 0


def run_metaworld_eval(command, task: str, cfg, bundle, frames: list | None) -> int:
    from .evaluation.metaworld_eval import evaluate_metaworld, METAWORLD_RATE_HZ

    report = evaluate_metaworld(
        bundle,
        task,
        cfg,
        progress=command.progress and not command.json,
        first_episode_frames=frames,
    )
    summary = report.summary()
    if command.video and frames:
        from .evaluation.pictures import write_video

        summary['video'] = str(write_video(frames, command.video, fps=METAWORLD_RATE_HZ))
    if command.json:
        print(json.dumps(summary))
        return 0
    consistency = 'on' if summary['temporal_consistency'] else 'off'
    print(
        f'model {command.model}: {summary["env"]}, {summary["episodes"]} episodes from env '
        f'seed {summary["first_seed"]}, provider {bundle.generator_provider}'
    )
    print(
        f'  success {summary["success_rate"]:.0%} (Meta-World\'s info["success"]); mean steps '
        f'{summary["mean_steps"]:.0f} of 500; gripper changes per episode '
        f'{summary["gripper_changes_per_episode"]:.2f}'
    )
    if 'mode_share' in summary:
        ways = ', '.join(f'{k} {v:.0%}' for k, v in summary['mode_share'].items())
        print(f'  ways round the wall (successful episodes): {ways}')
    print(
        f'  plan switches {summary["switches_per_episode"]:.1f} per episode (overlap with the '
        f'replaced chunk: p50 {100 * summary["overlap_deviation_m_p50"]:.1f} cm, p90 '
        f'{100 * summary["overlap_deviation_m_p90"]:.1f} cm)'
    )
    print(
        f'  inference p50 {summary["inference_ms_p50"]:.1f} ms, p99 '
        f'{summary["inference_ms_p99"]:.1f} ms (N = {summary["num_samples"]}, temporal '
        f'consistency {consistency})'
    )
    if 'video' in summary:
        print(f'  video: {summary["video"]}')
    return 0
