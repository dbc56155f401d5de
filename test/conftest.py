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
