# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Shared test settings."""

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    # The test networks are tiny: intra-op threads only add overhead, and when the CPU is
    # shared (CI next to other jobs, a training run) OpenMP spin-waiting can make a
    # 3-second test take minutes. One thread keeps timings stable and results repeatable.
    try:
        import torch
    except ImportError:  # the runtime tests run without torch
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope='session')
def goal_task(tmp_path_factory):
    """Return the state-policy task of state_task.py: (its dataset, a bundle trained on it)."""
    from state_task import train_goal_bundle, write_goal_dataset

    root = tmp_path_factory.mktemp('goal_task')
    dataset = write_goal_dataset(root / 'demos')
    return dataset, train_goal_bundle(dataset, root / 'run')


@pytest.fixture(scope='session')
def pusht_demos(tmp_path_factory):
    """Return 2 Push-T expert demos (seed 1: short scenes; 32 px frames), made once per run."""
    pytest.importorskip('gym_pusht')
    from imle_policy_ros.cli import main as cli

    out = tmp_path_factory.mktemp('pusht_demos') / 'demos'
    argv = ['sim-demos', '--env', 'pusht', '-n', '2', '-o', str(out), '--image-size', '32']
    assert cli(argv + ['--seed', '1', '--no-progress']) == 0
    return out
