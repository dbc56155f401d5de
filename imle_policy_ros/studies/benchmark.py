# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Run a benchmark suite end to end: demos, then train, export and evaluate every objective.

    imle-policy-ros benchmark pusht -o runs/pusht --budget quick
    imle-policy-ros benchmark metaworld --task push-v3 --demos 10 -o runs/push

For each demo count and objective (a cell): train on the expert's demos, export the bundle
and evaluate it closed-loop with the paper's protocol under each run-time setting of its
objective: rs_imle with temporal consistency on (N chunks per inference, the closest to the
running one executed) and off, mse as it is, diffusion with the DDIM-10 and DDPM-100
samplers; every row but consistency on draws one chunk per inference. Every row of every
cell runs on the same evaluation scenes. The same configs and functions as the commands,
called directly.

Layout of the output directory::

    config.json             the settings every cell depends on (a run with others is refused)
    demos/n<N>/             the datasets; smaller counts are the first N demos of a larger one
    cells/<objective>_<N>/  train/ (checkpoints, log), bundle/, rows.json once it is finished
    results.json, table.md  the machine, the settings and the rows of this run's grid

Resumable: a cell with its rows.json is not recomputed; an unfinished one is trained again
from scratch.
"""

from __future__ import annotations

from dataclasses import replace
import json
from pathlib import Path
import shutil
import time

from .benchmark_config import (
    BenchmarkCommand,
    BenchmarkRefusal,
    CONFIG_FILE,
    refuse_other_config,
)
from .benchmark_suites import Suite, suite_for
from .benchmark_table import caption, markdown_table, results_document, write_json
from ..data.episode_store import EpisodeStore, META_FILE, write_dataset_atomically
from ..evaluation.closed_loop import EvalConfig
from ..learning.export import export_bundle
from ..learning.train import train
from ..learning.train_config import TrainConfig
from ..runtime import load_bundle

# Without temporal consistency the controller runs sample 0 of each draw, so drawing more
# would only add latency: those rows draw one chunk (as Diffusion Policy does).
ONE_CHUNK = {'temporal_consistency': False, 'num_samples': 1}
# Per objective, the rows of one bundle: (run-time setting, generator calls per chunk, the
# ControllerConfig changes). rs_imle's N with consistency is the command's --num-samples.
RUN_SETTINGS = {
    'rs_imle': (
        ('consistency on', 1, {'temporal_consistency': True}),
        ('consistency off', 1, ONE_CHUNK),
    ),
    'mse': (('one chunk', 1, ONE_CHUNK),),
    'diffusion': (
        ('ddim10', 10, {**ONE_CHUNK, 'diffusion_sampler': 'ddim10'}),
        ('ddpm100', 100, {**ONE_CHUNK, 'diffusion_sampler': 'ddpm100'}),
    ),
}


def run_benchmark(command: BenchmarkCommand, machine: dict) -> int:
    """
    Run (or finish) the benchmark `command` describes; write results.json and table.md.

    machine: the machine row (benchmarks.machine.machine_info(), which the CLI reads: this
    layer may not import benchmarks).
    """
    settings = command.shared_settings()
    suite = suite_for(settings)
    suite.require()  # before anything is written: the refusal names the install command
    out = Path(command.output)
    claim_output(out, settings)
    started = time.perf_counter()
    objectives = dict.fromkeys(command.objectives)  # in the given order, once each
    cells = [(n, o) for n in sorted(set(command.demos)) for o in objectives]
    pending = {n for n, o in cells if not (cell_dir(out, o, n) / 'rows.json').exists()}
    datasets = {n: demo_dataset(suite, out, n, settings) for n in sorted(pending)[::-1]}
    rows = []
    for n, objective in cells:
        cell_rows = run_cell(suite, out, datasets.get(n), objective, n, settings)
        rows += cell_rows
        for r in cell_rows:
            own = ', '.join(f'{h} {show(r)}' for h, show in suite.columns if show(r))
            print(
                f'{objective:9s} {n:5d} demos, {r["setting"]:15s}: success '
                f'{r["success_rate"]:.0%} ({own}), p50 {r["inference_ms_p50"]:.2f} ms',
                flush=True,
            )
    grid = {'demos': sorted(set(command.demos)), 'objectives': list(objectives)}
    wall = round(time.perf_counter() - started, 3)
    write_json(
        out / 'results.json',
        results_document(settings, machine, rows, grid=grid, run_wall_s=wall),
    )
    table = (
        caption(suite.title, suite.scoring, settings, machine, rows)
        + '\n\n'
        + markdown_table(rows, suite.columns)
    )
    (out / 'table.md').write_text(table + '\n')
    print(table)
    print(f'results: {out / "results.json"}')
    print(f'table: {out / "table.md"}')
    return 0


def claim_output(out: Path, settings: dict) -> None:
    """Make `out` this configuration's directory, or refuse one that holds something else."""
    config = out / CONFIG_FILE
    if config.exists():
        try:
            stored = json.loads(config.read_text())
        except json.JSONDecodeError as exc:
            raise BenchmarkRefusal(
                f'{config} is not readable JSON ({exc}): use another -o or delete {out}'
            ) from None
        refuse_other_config(str(out), stored, settings)
        return
    if out.exists() and any(out.iterdir()):
        raise BenchmarkRefusal(
            f'{out} is not empty and holds no benchmark ({CONFIG_FILE}): use another -o '
            'or an empty directory'
        )
    out.mkdir(parents=True, exist_ok=True)
    write_json(config, settings)


def cell_dir(out: Path, objective: str, n: int) -> Path:
    return out / 'cells' / f'{objective}_{n}'


def demo_dataset(suite: Suite, out: Path, n: int, settings: dict) -> Path:
    """
    Return the dataset of the first n demos, writing it if it is not there.

    From settings['demos_from'] when given; else the suite's expert with settings['seed']:
    demo i of a seed is always the same scene and expert, so a smaller count is cut from a
    larger dataset already on disk rather than simulated again.
    """
    seed = settings['seed']
    root = out / 'demos'
    path = root / f'n{n}'
    if (path / META_FILE).exists():
        return path
    if settings['demos_from']:
        source = EpisodeStore.open(settings['demos_from'])
        if tuple(source.meta.action_names) != suite.actions:
            raise BenchmarkRefusal(
                f'--demos-from {source.root} commands {list(source.meta.action_names)}, not '
                f"{suite.title}'s {list(suite.actions)}: give a dataset of this suite's task"
            )
        recorded = source.meta.source.get('task', suite.task)  # your recordings: unnamed
        if recorded != suite.task:
            raise BenchmarkRefusal(
                f'--demos-from {source.root} holds demos of {recorded}, not {suite.task}: '
                "give a dataset of this run's task"
            )
        if len(source) < n:
            raise BenchmarkRefusal(
                f'--demos-from {source.root} has {len(source)} episodes, fewer than the '
                f'{n} asked for: ask for fewer demos, or record more'
            )
        write_first_demos(source.root, n, path, suite.cut_provenance)
        return path
    larger = sorted(
        int(p.name[1:])
        for p in (root.iterdir() if root.exists() else ())
        if p.name[1:].isdigit() and int(p.name[1:]) > n and (p / META_FILE).exists()
    )
    if larger:
        write_first_demos(root / f'n{larger[0]}', n, path, suite.cut_provenance)
    else:
        print(f'demos: {n} expert episodes, seed {seed}', flush=True)
        suite.write_demos(n, path, seed)
    return path


def write_first_demos(source: Path, n: int, path: Path, cut_provenance) -> EpisodeStore:
    """
    Write the first n episodes of `source` as a dataset, as if n had been generated.

    cut_provenance(source, attempts): the suite's provenance of the attempts up to the n-th
    kept demo (Suite.cut_provenance), for a generated source (one that lists attempts).
    """
    store = EpisodeStore.open(source)
    provenance = dict(store.meta.source)
    attempts = provenance.get('attempts')
    if attempts is not None:  # the attempts up to the n-th kept demo, as generating n lists
        kept = [i for i, a in enumerate(attempts) if a['kept']]
        provenance.update(cut_provenance(provenance, attempts[: kept[n - 1] + 1]))
    meta = replace(store.meta, source=provenance)
    return write_dataset_atomically(path, meta, (store.episode(i) for i in range(n)))


def train_config(
    suite: Suite, dataset: Path, run: Path, objective: str, settings: dict
) -> TrainConfig:
    state = settings['variant'] == 'state'
    width = {} if state else {'encoder_width': settings['encoder_width']}
    return TrainConfig(
        dataset=str(dataset),
        output_dir=str(run),
        objective=objective,
        state_only=state,
        state_extras=suite.state_extras if state else (),
        relative_to_ee=suite.relative_to_ee if state else (),
        steps=settings['steps'],
        batch_size=settings['batch_size'],
        lr=settings['lr'],
        warmup_steps=settings['warmup_steps'],
        ema_decay=settings['ema_decay'],
        epsilon=settings['epsilon'],
        samples_per_example=settings['samples_per_example'],
        down_dims=tuple(settings['down_dims']),
        seed=settings['train_seed'],
        device=settings['device'],
        checkpoint_every=settings['steps'],  # one checkpoint: a cell is never resumed
        threads=settings['threads'],
        progress=False,
        **width,
    )


def eval_config(settings: dict, changes: dict) -> EvalConfig:
    base = EvalConfig(episodes=settings['episodes'], seed=settings['eval_seed'])
    controller = replace(base.run.controller, **changes)
    return replace(
        base, run=replace(base.run, controller=controller, latency_ms=settings['latency_ms'])
    )


def run_settings(objective: str, settings: dict) -> tuple:
    return tuple(
        (name, calls, {'num_samples': settings['num_samples'], **changes})
        for name, calls, changes in RUN_SETTINGS[objective]
    )


def run_cell(
    suite: Suite, out: Path, dataset: Path | None, objective: str, n: int, settings: dict
) -> list[dict]:
    """Return the cell's rows: read from its rows.json, or trained, exported and evaluated."""
    cell = cell_dir(out, objective, n)
    done = cell / 'rows.json'
    if done.exists():
        return json.loads(done.read_text())
    if cell.exists():
        shutil.rmtree(cell)  # an interrupted cell: nothing in it is trusted
    print(f'train {objective} on {n} demos, {settings["steps"]} steps', flush=True)
    t0 = time.perf_counter()
    checkpoint = train(train_config(suite, dataset, cell / 'train', objective, settings))
    train_wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    export_bundle(checkpoint, cell / 'bundle', overwrite=True)
    export_wall = time.perf_counter() - t0
    bundle = load_bundle(cell / 'bundle', intra_op_threads=settings['threads'])
    rows = []
    for name, calls, changes in run_settings(objective, settings):
        t0 = time.perf_counter()
        summary = suite.evaluate(bundle, eval_config(settings, changes))
        eval_wall = time.perf_counter() - t0
        head = {
            'suite': settings['suite'],
            **({'task': settings['task']} if 'task' in settings else {}),
            'variant': settings['variant'],
            'demos': n,
            'objective': objective,
            'setting': name,
            'calls_per_chunk': calls,
        }
        tail = {
            'train_wall_s': round(train_wall, 3),
            'export_wall_s': round(export_wall, 3),
            'eval_wall_s': round(eval_wall, 3),
            'train_steps': settings['steps'],
            'batch_size': settings['batch_size'],
            'demo_seed': settings['seed'],
            'train_seed': settings['train_seed'],
            'eval_first_seed': summary['first_seed'],
            'eval_episodes': summary['episodes'],
        }
        rows.append({**head, **summary, **tail})
    write_json(done, rows)
    return rows
