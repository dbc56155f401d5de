# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""`sim-demos --env pusht` and `eval --env pusht`: Push-T's demos, episodes and reports."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import Refusal


def run_pusht_demos(command, image_size: int) -> int:
    from .sim.pusht_demos import generate_pusht_demos, pusht_summary_line

    if command.output_format != 'store':
        raise Refusal(
            'sim-demos --env pusht writes the dataset directly (--format store): Push-T has '
            'no ROS topics to record'
        )
    store = generate_pusht_demos(
        command.episodes,
        command.output_dir,
        command.seed,
        image_size,
        command.overwrite,
        command.progress,
    )
    print(pusht_summary_line(store))
    print(f'dataset: {store.root}')
    return 0


def run_pusht_eval(command, cfg, bundle, frames: list | None) -> int:
    from .evaluation.pusht_eval import evaluate_pusht

    report = evaluate_pusht(
        bundle, cfg, progress=command.progress and not command.json, first_episode_frames=frames
    )
    summary = report.summary()
    if command.plot:
        summary['plot'] = str(draw_last_frames(report, command.plot, f'{command.model}'))
    if command.video:
        from .evaluation.pictures import write_video

        summary['video'] = str(write_video(frames, command.video, fps=10.0))
    if command.json:
        print(json.dumps(summary))
        return 0
    consistency = 'on' if summary['temporal_consistency'] else 'off'
    print(
        f'model {command.model}: Push-T, {summary["episodes"]} episodes from env seed '
        f'{summary["first_seed"]}, provider {bundle.encoder_provider}'
    )
    print(
        f"  success {summary['success_rate']:.0%} (max coverage > 0.95; the paper code's "
        f'count, max reward > 0.95: {summary["paper_success_rate"]:.0%})'
    )
    print(
        f'  mean max coverage {summary["mean_max_coverage"]:.3f}, mean max reward '
        f'{summary["mean_max_reward"]:.3f}; mean steps {summary["mean_steps"]:.0f} of 300'
    )
    print(
        f'  inference p50 {summary["inference_ms_p50"]:.1f} ms, p99 '
        f'{summary["inference_ms_p99"]:.1f} ms (N = {summary["num_samples"]}, temporal '
        f'consistency {consistency})'
    )
    print(
        f'  plan switches {summary["switches_per_episode"]:.1f} per episode (overlap with the '
        f'replaced chunk: p50 {summary["overlap_deviation_px_p50"]:.1f} px, p90 '
        f'{summary["overlap_deviation_px_p90"]:.1f} px)'
    )
    for key in ('plot', 'video'):
        if key in summary:
            print(f'  {key}: {summary[key]}')
    return 0


def draw_last_frames(report, path, title: str = '', columns: int = 10, scale: int = 2) -> Path:
    """Draw a PNG grid of every episode's last camera view, framed green (success) or red."""
    import cv2
    import numpy as np

    tiles = []
    for e in report.episodes:
        tile = cv2.resize(e.last_frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
        colour = (40, 170, 60) if e.success else (210, 40, 40)
        tile = cv2.copyMakeBorder(tile, 3, 3, 3, 3, cv2.BORDER_CONSTANT, value=colour)
        cv2.putText(
            tile, f'{e.max_coverage:.2f}', (6, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1
        )
        tiles.append(tile)
    blank = np.full_like(tiles[0], 255)
    padded = tiles + [blank] * (-len(tiles) % columns)
    rows = [np.hstack(padded[i:][:columns]) for i in range(0, len(padded), columns)]
    grid = np.vstack(rows)
    header = np.full((24, grid.shape[1], 3), 255, np.uint8)
    cv2.putText(header, title[:80], (4, 17), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), cv2.cvtColor(np.vstack([header, grid]), cv2.COLOR_RGB2BGR)):
        raise OSError(f'could not write {path}')
    return path
