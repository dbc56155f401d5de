# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Success against the number of demonstrations, for IMLE and the MSE baseline.

    python -m imle_policy_ros.evaluation.data_efficiency -o runs/data_efficiency

For each demo count: sim-demos (the first N episodes of one seed, so smaller sets are
subsets of larger ones), train IMLE and MSE with the same networks and schedule, export,
and evaluate closed-loop. Everything goes through the package's own commands. Writes
results.json, a chart (PNG) and a markdown table to paste into EVAL.md. Resumable: a
finished (objective, N) cell is not recomputed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from .closed_loop import EvalConfig, evaluate
from .start_modes import start_mode_shares
from ..cli import main as cli
from ..runtime import load_bundle

OBJECTIVES = ('rs_imle', 'mse')
COLORS = {'rs_imle': (40, 110, 220), 'mse': (200, 60, 60)}  # RGB


def run_cell(out: Path, demos: Path, objective: str, n: int, args) -> dict:
    run = out / f'{objective}_{n}'
    result_file = run / 'eval.json'
    if result_file.exists():
        summary = json.loads(result_file.read_text())
        if 'scenes_offering_both_sides' not in summary:  # cells from before this metric
            summary.update(
                start_mode_shares(load_bundle(run / 'bundle', intra_op_threads=args.threads))
            )
            result_file.write_text(json.dumps(summary, indent=2) + '\n')
        return summary
    train = [
        'train',
        str(demos),
        '-o',
        str(run),
        '--objective',
        objective,
        '--steps',
        str(args.steps),
        '--batch-size',
        str(args.batch_size),
        '-m',
        str(args.samples_per_example),
        '--encoder-width',
        str(args.encoder_width),
        '--down-dims',
        *map(str, args.down_dims),
        '--warmup-steps',
        '100',
        '--lr',
        '1e-3',
        '--ema-decay',
        '0.995',
        '--seed',
        str(args.seed),
        '--checkpoint-every',
        str(args.steps),
        '--threads',
        str(args.threads),
        '--no-progress',
    ]
    if (
        cli(train) != 0
        or cli(
            [
                'export',
                str(run / 'checkpoints' / 'latest.pt'),
                '-o',
                str(run / 'bundle'),
                '--overwrite',
            ]
        )
        != 0
    ):
        raise RuntimeError(f'{objective} with {n} demos: training or export failed')
    bundle = load_bundle(run / 'bundle', intra_op_threads=args.threads)
    report = evaluate(bundle, EvalConfig(episodes=args.episodes, seed=args.seed), progress=False)
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
    text = dict(
        fontFace=cv2.FONT_HERSHEY_SIMPLEX,
        fontScale=0.4,
        color=(60, 60, 60),
        thickness=1,
        lineType=cv2.LINE_AA,
    )
    counts = sorted({r['demos'] for r in results})
    xs = {
        n: x0 + left + (w - left - right) * i / max(1, len(counts) - 1)
        for i, n in enumerate(counts)
    }
    y_of = lambda v: int(top + (h - top - bottom) * (1 - v))
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
    parser.add_argument('-o', '--output', type=Path, required=True)
    parser.add_argument('--demos', type=int, nargs='+', default=[10, 20, 50, 100])
    parser.add_argument('--episodes', type=int, default=50, help='evaluation episodes per cell')
    parser.add_argument('--steps', type=int, default=1500)
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--samples-per-example', type=int, default=16)
    parser.add_argument('--encoder-width', type=int, default=8)
    parser.add_argument('--down-dims', type=int, nargs='+', default=[32, 64, 128])
    parser.add_argument('--image-size', type=int, default=64)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    results = []
    for n in args.demos:
        demos = out / f'demos_{n}'
        if not demos.exists():
            cli(
                [
                    'sim-demos',
                    '-n',
                    str(n),
                    '-o',
                    str(demos),
                    '--seed',
                    str(args.seed),
                    '--image-size',
                    str(args.image_size),
                    '--no-progress',
                ]
            )
        for objective in OBJECTIVES:
            results.append(run_cell(out, demos, objective, n, args))
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
