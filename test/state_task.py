# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A task for state policies whose right action is read from a dataset extra, and its bundle.

The arm (arm_x, arm_y) starts somewhere and moves to a goal that only the extra `goal` gives, 5% of
the way per step; a policy that ignored its extras could not know where to go.
"""

from imle_policy_ros.cli import main as cli
from imle_policy_ros.data.episode_store import (
    CameraMeta,
    DatasetMeta,
    Episode,
    write_dataset_atomically,
)
import numpy as np

STEPS = 40
STATE_NAMES = ('arm_x', 'arm_y', 'goal_0', 'goal_1')


def _episode(rng, k: int) -> Episode:
    target = rng.uniform(-1.0, 1.0, 2)
    start = rng.uniform(-1.0, 1.0, 2)
    t = np.linspace(0.0, 1.0, STEPS)[:, None]
    states = start + (target - start) * np.minimum(1.0, 2.0 * t)
    actions = np.vstack([states[1:], states[-1:]])
    return Episode(
        images={'cam': np.zeros((STEPS, 8, 8, 3), np.uint8)},
        states=states,
        actions=actions,
        stamps=np.arange(STEPS) * 0.1,
        name=f'episode {k}',
        extras={'goal': np.repeat(target[None], STEPS, axis=0)},
    )


def write_goal_dataset(root):
    meta = DatasetMeta(
        rate_hz=10.0,
        cameras=(CameraMeta('cam', 8, 8),),
        state_names=STATE_NAMES[:2],
        action_names=STATE_NAMES[:2],
        action_kind='joint_position',
        extras={'goal': (2,)},
    )
    rng = np.random.default_rng(0)
    return write_dataset_atomically(root, meta, [_episode(rng, k) for k in range(24)])


def train_goal_bundle(dataset, out):
    """Train the MSE regressor on the state + goal (a few seconds) and export it."""
    argv = ['train', str(dataset.root), '-o', str(out), '--objective', 'mse']
    argv += ['--state-only', '--state-extras', 'goal', '--steps', '400', '--batch-size', '32']
    argv += ['--down-dims', '16', '32', '--pred-horizon', '8', '--action-horizon', '4']
    argv += ['--lr', '3e-3', '--warmup-steps', '20', '--threads', '1', '--no-progress']
    assert cli(argv) == 0
    bundle = out / 'bundle'
    assert cli(['export', str(out / 'checkpoints' / 'latest.pt'), '-o', str(bundle)]) == 0
    return bundle
