# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Success against the number of demonstrations, for IMLE and the MSE baseline.

    python -m imle_policy_ros.studies.data_efficiency -o runs/data_efficiency

For each demo count: the simulator's demos (the first N episodes of one seed, so smaller
sets are subsets of larger ones), train IMLE and MSE with the same networks and schedule,
export, and evaluate closed-loop: the same configs and functions the commands use.
Writes results.json, a chart (PNG) and a markdown table to paste into EVAL.md.
Resumable: a finished (objective, N) cell is not recomputed.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
import json
from pathlib import Path

import cv2
import numpy as np

from ..cli_settings import add_settings, config_from_args
from ..evaluation.closed_loop import EvalConfig, evaluate
from ..evaluation.start_modes import start_mode_shares
from ..learning.export import export_bundle
from ..learning.train import train, TrainConfig
from ..runtime import load_bundle
from ..settings import check_settings, setting
from ..sim.demo_config import DemoConfig
from ..sim.demos import generate_demos

OBJECTIVES = ('rs_imle', 'mse')
COLORS = {'rs_imle': (40, 110, 220), 'mse': (200, 60, 60)}  # RGB


@dataclass(frozen=True)
class StudyConfig:
    output: str = setting(description='where demos, runs and results go', short='-o')
    demos: tuple[int, ...] = setting((10, 20, 50, 100), 'demo counts to train on', min=1)
    episodes: int = setting(50, 'evaluation episodes per cell', min=1)
    steps: int = setting(1500, 'training steps per cell', min=1)
    batch_size: int = setting(32, 'examples per step', min=1)
    samples_per_example: int = setting(16, 'RS-IMLE m', min=1)
    encoder_width: int = setting(8, 'ResNet-18 base width (small CPU model)', min=1)
    down_dims: tuple[int, ...] = setting((32, 64, 128), 'UNet channels per level', min=1)
    image_size: int = setting(64, 'square camera image size, px', min=8)
    threads: int = setting(1, 'torch and ONNX Runtime threads', min=1)
    seed: int = setting(0, 'seed of the demos, the training and the evaluation scenes', min=0)

    def __post_init__(self) -> None:
        check_settings(self)


def run_cell(out: Path, demos: Path, objective: str, n: int, study: StudyConfig) -> dict:
    run = out / f'{objective}_{n}'
    result_file = run / 'eval.json'
    if result_file.exists():
        summary = json.loads(result_file.read_text())
        if 'scenes_offering_both_sides' not in summary:  # cells from before this metric
            summary.update(
                start_mode_shares(load_bundle(run / 'bundle', intra_op_threads=study.threads))
            )
            result_file.write_text(json.dumps(summary, indent=2) + '\n')
        return summary
    checkpoint = train(
        TrainConfig(
            dataset=str(demos),
            output_dir=str(run),
            objective=objective,
            steps=study.steps,
            batch_size=study.batch_size,
            samples_per_example=study.samples_per_example,
            encoder_width=study.encoder_width,
            down_dims=study.down_dims,
            warmup_steps=100,
            lr=1e-3,
            ema_decay=0.995,
            seed=study.seed,
            checkpoint_every=study.steps,
            threads=study.threads,
            progress=False,
        )
    )
    export_bundle(checkpoint, run / 'bundle', overwrite=True)
    bundle = load_bundle(run / 'bundle', intra_op_threads=study.threads)
    report = evaluate(bundle, EvalConfig(episodes=study.episodes, seed=study.seed), progress=False)
    summary = {'objective': objective, 'demos': n, **report.summary(), **start_mode_shares(bundle)}
    result_file.write_text(json.dumps(summary, indent=2) + '\n')
    return summary


PANELS = (
    ('success_rate', 'closed-loop success'),
    ('scenes_offering_both_sides', 'scenes offering both sides at the start'),
)


def draw_chart(results: list[dict], path: Path, panel_size=(420, 320)) -> None:
    """Two panels side by side: success, and how often the policy offers both solutions."""
    w, h = panel_size
    image = np.full((h + 40, w * len(PANELS), 3), 255, np.uint8)
    for i, (metric, title) in enumerate(PANELS):
        _draw_panel(image, i * w, w, h, results, metric, title)
    for k, objective in enumerate(OBJECTIVES):
        label = 'IMLE Policy' if objective == 'rs_imle' else 'MSE regressor (same networks)'
        x = 60 + k * 200
        cv2.line(image, (x, h + 22), (x + 24, h + 22), COLORS[objective], 2, cv2.LINE_AA)
        cv2.putText(
            image,
            label,
            (x + 30, h + 27),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            COLORS[objective],
            1,
            cv2.LINE_AA,
        )
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))


def _draw_panel(image, x0, w, h, results, metric, title) -> None:
    left, right, top, bottom = 50, 30, 30, 40
    text = {
        'fontFace': cv2.FONT_HERSHEY_SIMPLEX,
        'fontScale': 0.4,
        'color': (60, 60, 60),
        'thickness': 1,
        'lineType': cv2.LINE_AA,
    }
    counts = sorted({r['demos'] for r in results})
    xs = {
        n: x0 + left + (w - left - right) * i / max(1, len(counts) - 1)
        for i, n in enumerate(counts)
    }

    def y_of(v):
        return int(top + (h - top - bottom) * (1 - v))

    for v in (0, 0.25, 0.5, 0.75, 1.0):
        cv2.line(image, (x0 + left, y_of(v)), (x0 + w - right, y_of(v)), (225, 225, 225), 1)
        cv2.putText(image, f'{v:.0%}', (x0 + 6, y_of(v) + 4), **text)
    for n, x in xs.items():
        cv2.putText(image, str(n), (int(x) - 8, h - bottom + 16), **text)
    cv2.putText(image, 'demonstrations', (x0 + w // 2 - 45, h - 8), **text)
    cv2.putText(
        image, title, (x0 + left, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (30, 30, 30), 1, cv2.LINE_AA
    )
    for objective in OBJECTIVES:
        rows = sorted(
            (r for r in results if r['objective'] == objective), key=lambda r: r['demos']
        )
        points = np.array([(int(xs[r['demos']]), y_of(r[metric])) for r in rows], np.int32)
        if len(points):
            cv2.polylines(
                image, [points.reshape(-1, 1, 2)], False, COLORS[objective], 2, cv2.LINE_AA
            )
            for p in points:
                cv2.circle(image, (int(p[0]), int(p[1])), 4, COLORS[objective], -1, cv2.LINE_AA)


def markdown_table(results: list[dict]) -> str:
    lines = [
        '| demos | objective | success | left / right (closed loop) | switches per episode | '
        'collisions | scenes offering both sides at the start |',
        '| ---: | --- | ---: | --- | ---: | ---: | ---: |',
    ]
    for r in sorted(results, key=lambda r: (r['demos'], r['objective'])):
        share = r['mode_share']
        lines.append(
            f'| {r["demos"]} | {r["objective"]} | {r["success_rate"]:.0%} | '
            f'{share["left"]:.0%} / {share["right"]:.0%} | {r["switches_per_episode"]:.2f} | '
            f'{r["collision_rate"]:.0%} | {r["scenes_offering_both_sides"]:.0%} |'
        )
    return '\n'.join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='success against the number of demos, IMLE and MSE'
    )
    add_settings(parser, StudyConfig)
    study = config_from_args(StudyConfig, parser.parse_args(argv))
    out = Path(study.output)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for n in study.demos:
        demos = out / f'demos_{n}'
        if not demos.exists():
            generate_demos(
                n, demos, study.seed, DemoConfig(image_size=study.image_size), progress=False
            )
        for objective in OBJECTIVES:
            results.append(run_cell(out, demos, objective, n, study))
            r = results[-1]
            print(
                f'{objective:8s} {n:4d} demos: success {r["success_rate"]:.0%}, '
                f'switches/ep {r["switches_per_episode"]:.2f}',
                flush=True,
            )
    (out / 'results.json').write_text(json.dumps(results, indent=2) + '\n')
    draw_chart(results, out / 'data_efficiency.png')
    table = markdown_table(results)
    (out / 'table.md').write_text(table + '\n')
    print(table)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
