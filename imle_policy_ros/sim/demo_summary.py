# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""What a set of expert demonstrations holds: how many, how long, which way round."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .reach_task import SIDES


@dataclass(frozen=True)
class DemoSummary:
    episodes: int
    steps_min: int
    steps_mean: float
    steps_max: int
    side_shares: dict  # side -> share of the episodes that went round that way

    @classmethod
    def of(cls, steps, side_counts: dict) -> DemoSummary:
        steps = np.asarray(steps)
        total = max(1, sum(side_counts.values()))
        return cls(
            len(steps),
            int(steps.min()),
            float(steps.mean()),
            int(steps.max()),
            {side: side_counts.get(side, 0) / total for side in SIDES},
        )

    def line(self) -> str:
        shares = ', '.join(f'{side} {share:.0%}' for side, share in self.side_shares.items())
        return (
            f'{self.episodes} demos ({shares}); steps per episode min {self.steps_min}, '
            f'mean {self.steps_mean:.1f}, max {self.steps_max}'
        )


def summarize_store(store) -> DemoSummary:
    """Summarize a dataset written by sim.demos.generate_demos."""
    return DemoSummary.of(store.episode_lengths, store.meta.source.get('side_counts', {}))


def summarize_bags(info: dict) -> DemoSummary:
    """Summarize bag demos from what demos.json holds (sim.bag_demos.generate_bag_demos)."""
    return DemoSummary.of([b['steps'] for b in info['bags']], info['side_counts'])
