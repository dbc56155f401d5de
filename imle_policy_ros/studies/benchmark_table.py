# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Render the benchmark's rows: the markdown table and the results.json document.

Plain Python, so the table can be drawn (and tested) from rows alone, without the
training stack.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

# (header, how a row shows it): every suite's, with the suite's own after 'success'
COMMON_HEAD = (
    ('demos', lambda r: str(r['demos'])),
    ('objective', lambda r: r['objective']),
    ('run-time setting', lambda r: r['setting']),
    ('success', lambda r: f'{r["success_rate"]:.0%}'),
)
COMMON_TAIL = (
    ('plan switches per episode', lambda r: f'{r["switches_per_episode"]:.1f}'),
    ('inference ms p50', lambda r: f'{r["inference_ms_p50"]:.2f}'),
    ('calls per chunk', lambda r: str(r['calls_per_chunk'])),
    ('train min', lambda r: f'{r["train_wall_s"] / 60:.1f}'),
)
PUSHT_COLUMNS = (
    ('paper success', lambda r: f'{r["paper_success_rate"]:.0%}'),
    ('mean max coverage', lambda r: f'{r["mean_max_coverage"]:.3f}'),
)
METAWORLD_COLUMNS = (
    ('mean steps', lambda r: f'{r["mean_steps"]:.0f}'),
    # push-wall: the end of the wall the puck went round, over the successful episodes
    ('ways', lambda r: ', '.join(f'{k} {v:.0%}' for k, v in r.get('mode_share', {}).items())),
)
LEFT_ALIGNED = {'objective', 'run-time setting', 'ways'}


def sorted_rows(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: (r['demos'], r['objective'], r['setting']))


def markdown_table(rows: list[dict], own_columns: tuple) -> str:
    """Return the table, a line per row sorted by demos, objective and setting."""
    columns = COMMON_HEAD + tuple(own_columns) + COMMON_TAIL
    lines = [
        '| ' + ' | '.join(h for h, _ in columns) + ' |',
        '| ' + ' | '.join('---' if h in LEFT_ALIGNED else '---:' for h, _ in columns) + ' |',
    ]
    lines += ['| ' + ' | '.join(show(r) for _, show in columns) + ' |' for r in sorted_rows(rows)]
    return '\n'.join(lines)


def caption(title: str, scoring: str, settings: dict, machine: dict, rows: list[dict]) -> str:
    """Say in one paragraph what the table measured, and where; `scoring`: the suite's rule."""
    gpu = f', GPU {machine["gpu"]}' if machine.get('gpu') else ''
    first = rows[0]['eval_first_seed'] if rows else '?'
    return (
        f'{title} ({settings["variant"]} variant), budget {settings["budget"]}: '
        f'{settings["steps"]} steps at batch {settings["batch_size"]}, UNet '
        f'{settings["down_dims"]}, m = {settings["samples_per_example"]}; '
        f'{settings["episodes"]} episodes per row from env seed {first}; demo seed '
        f'{settings["seed"]}, train seed {settings["train_seed"]}. rs_imle with consistency '
        f'draws N = {settings["num_samples"]} chunks per inference, every other row one. '
        f'{scoring} '
        f'Machine: {machine.get("cpu")}, {machine.get("cores")} cores{gpu}.'
    )


def results_document(settings: dict, machine: dict, rows: list[dict], **extra) -> dict:
    """Return results.json: the machine once, the settings, then the rows in table order."""
    return {'machine': machine, 'settings': settings, **extra, 'rows': sorted_rows(rows)}


def write_json(path: Path, value) -> None:
    """Write `value` as JSON through a temporary file, so a reader never sees half of it."""
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_text(json.dumps(value, indent=2) + '\n')
    os.replace(tmp, path)
