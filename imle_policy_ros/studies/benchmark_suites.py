# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What each benchmark suite brings: its simulator check, demos, evaluation, state and table.

pusht: gym-pusht with the paper's protocol. metaworld: one Meta-World task (any of the 50),
demos by its shipped expert (or, on push-wall with two_way, the expert that goes round
either end), judged by Meta-World's own success; the published image Diffusion Policy
figure at 10 demos sits in the caption where there is one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .benchmark_table import METAWORLD_COLUMNS, PUSHT_COLUMNS
from ..data.episode_store import EpisodeStore
from ..evaluation.closed_loop import EvalConfig
from ..evaluation.metaworld_eval import evaluate_metaworld
from ..evaluation.pusht_eval import evaluate_pusht
from ..runtime import PolicyBundle
from ..sim.metaworld_demos import (
    DEFAULT_CAMERA,
    generate_metaworld_demos,
    METAWORLD_HAND_RELATIVE,
    METAWORLD_LAYOUT,
    metaworld_provenance,
)
from ..sim.metaworld_env import load_metaworld
from ..sim.pusht_demos import generate_pusht_demos, PUSHER_JOINTS, pusht_provenance
from ..sim.pusht_env import load_gym_pusht

DEMO_IMAGE_SIZE = 96  # both suites' camera; pusht's state variant stores it but ignores it

# Success at 10 demos, %: image Diffusion Policy and 3D Diffusion Policy (point clouds), as
# the 3D Diffusion Policy paper reports them (Ze et al. 2024, Table XVIII: mean of 3 seeds,
# each the mean of its 5 best evaluations). Only the tasks EVAL.md compares against.
PUBLISHED_10_DEMOS = {
    'button-press-topdown-v3': {'image DP': 98},
    'door-open-v3': {'image DP': 98},
    'push-v3': {'image DP': 30, '3D DP': 51},
    'pick-place-v3': {'image DP': 0, '3D DP': 12},
    'push-wall-v3': {'image DP': 20, '3D DP': 49},
}


@dataclass(frozen=True)
class Suite:
    """One suite as a benchmark runs it (built from the run's settings by suite_for)."""

    require: Callable[[], object]  # raises a Refusal where the simulator is missing
    write_demos: Callable[[int, Path, int], EpisodeStore]  # (count, directory, seed)
    evaluate: Callable[[PolicyBundle, EvalConfig], dict]  # -> the report's summary
    cut_provenance: Callable[[dict, list], dict]  # (source, first attempts) -> source
    state_extras: tuple[str, ...]  # the state variant's extras, beside the robot state
    actions: tuple[str, ...]  # what a dataset for this suite commands (--demos-from)
    task: str  # the dataset's source 'task' (--demos-from of another task is refused)
    title: str  # how the table's caption names it
    scoring: str  # what success means, for the caption
    columns: tuple  # the suite's own table columns: (header, how a row shows it)
    # the state variant's positions seen from the hand (runtime/hand_relative.py)
    relative_to_ee: tuple[str, ...] = ()


def suite_for(settings: dict) -> Suite:
    """Return the suite of a run's shared settings (BenchmarkCommand.shared_settings)."""
    if settings['suite'] == 'pusht':
        return _pusht()
    return _metaworld(settings['task'], settings['two_way'], settings['variant'] == 'image')


def _pusht() -> Suite:
    def write_demos(n: int, path: Path, seed: int) -> EpisodeStore:
        return generate_pusht_demos(n, path, seed, DEMO_IMAGE_SIZE, progress=False)

    def evaluate(bundle: PolicyBundle, cfg: EvalConfig) -> dict:
        return evaluate_pusht(bundle, cfg, progress=False).summary()

    return Suite(
        load_gym_pusht,
        write_demos,
        evaluate,
        lambda source, attempts: pusht_provenance(source['seed'], attempts),
        ('block_keypoints',),
        PUSHER_JOINTS,
        'pusht',
        'Push-T',
        'Success: max coverage > 0.95; paper success: max reward > 0.95.',
        PUSHT_COLUMNS,
    )


def _metaworld(task: str, two_way: bool, images: bool) -> Suite:
    cameras = (DEFAULT_CAMERA,) if images else ()  # rendering is most of a demo's cost

    def write_demos(n: int, path: Path, seed: int) -> EpisodeStore:
        return generate_metaworld_demos(
            task, n, path, seed, cameras, DEMO_IMAGE_SIZE, two_way, progress=False
        )

    def evaluate(bundle: PolicyBundle, cfg: EvalConfig) -> dict:
        return evaluate_metaworld(bundle, task, cfg, progress=False).summary()

    # the published figures are of the shipped (one-way) expert's demos
    published = None if two_way else PUBLISHED_10_DEMOS.get(task)
    figures = ', '.join(f'{k} {v}%' for k, v in (published or {}).items())
    return Suite(
        load_metaworld,
        write_demos,
        evaluate,
        lambda source, attempts: metaworld_provenance(source, source['expert'], attempts),
        ('object_state', 'goal'),
        METAWORLD_LAYOUT.action_names,
        f'metaworld:{task}',
        f'Meta-World {task}' + (' (two-way expert)' if two_way else ''),
        "Success: Meta-World's info['success'] within 500 steps."
        + (f' Published at 10 demos (Ze et al. 2024, Table XVIII): {figures}.' if figures else ''),
        METAWORLD_COLUMNS,
        METAWORLD_HAND_RELATIVE,
    )
