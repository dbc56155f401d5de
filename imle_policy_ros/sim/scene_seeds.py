# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The one rule that keeps demonstration scenes and evaluation scenes apart (Push-T, Meta-World).

Evaluation uses env seeds from EVAL_FIRST_SEED up (the IMLE Policy paper evaluates Push-T
from 100000). Demonstrations of `--seed s` use env seeds s * DEMO_SEED_STRIDE + i for attempt
i, so every demo seed block stays below the evaluation seeds and any episode is reproducible
on its own.
"""

from __future__ import annotations

EVAL_FIRST_SEED = 100_000  # the IMLE Policy paper's first evaluation seed
DEMO_SEED_STRIDE = 10_000  # --seed s draws scenes s*10000, s*10000 + 1, ...


def demo_scene_seed(seed: int, index: int) -> int:
    """Return the env seed of attempt `index` of demo seed `seed`; refuse eval seeds."""
    scene = seed * DEMO_SEED_STRIDE + index
    if scene >= EVAL_FIRST_SEED or index >= DEMO_SEED_STRIDE or seed < 0 or index < 0:
        raise ValueError(
            f'demo scene seed {scene} would reach the evaluation seeds ({EVAL_FIRST_SEED} up) '
            f'or the next --seed block: use --seed 0..{EVAL_FIRST_SEED // DEMO_SEED_STRIDE - 1} '
            f'and at most {DEMO_SEED_STRIDE} attempts'
        )
    return scene
