# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Training is repeatable from a seed, and resuming gives exactly the uninterrupted run."""

import dataclasses

from imle_policy_ros.data.two_mode_toy import write_two_mode_dataset
from imle_policy_ros.errors import Refusal
from imle_policy_ros.learning.train import lr_at, train, TrainConfig
import pytest
import torch


def tiny_config(dataset, out, steps, **kw):
    return TrainConfig(
        dataset=str(dataset),
        output_dir=str(out),
        steps=steps,
        batch_size=8,
        obs_horizon=1,
        pred_horizon=8,
        action_horizon=1,
        encoder_width=2,
        down_dims=[8, 16],
        warmup_steps=3,
        samples_per_example=4,
        checkpoint_every=5,
        progress=False,
        seed=3,
        **kw,
    )


def weights(path, key='model'):
    return torch.load(path, weights_only=False)[key]


def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_resume_reproduces_uninterrupted_run(tmp_path):
    data = tmp_path / 'data'
    write_two_mode_dataset(data, episodes=12)
    straight = train(tiny_config(data, tmp_path / 'straight', 10))
    # as if the run had been killed after its step-5 checkpoint
    halfway = tmp_path / 'straight' / 'checkpoints' / 'step_0000005.pt'
    resumed = train(tiny_config(data, tmp_path / 'resumed', 10), resume=str(halfway))
    assert_same(weights(straight), weights(resumed))
    assert_same(weights(straight, 'ema'), weights(resumed, 'ema'))
    again = train(tiny_config(data, tmp_path / 'again', 10))
    assert_same(weights(straight), weights(again))


def test_resume_refuses_another_schedule(tmp_path):
    data = tmp_path / 'data'
    write_two_mode_dataset(data, episodes=12)
    first = train(tiny_config(data, tmp_path / 'run', 5))
    # 5 more steps on a 10-step schedule would restart the cosine decay mid-way
    with pytest.raises(Refusal, match=r'--steps 5, not 10.*cosine schedule'):
        train(tiny_config(data, tmp_path / 'more', 10), resume=str(first))


def test_other_seed_gives_other_weights(tmp_path):
    data = tmp_path / 'data'
    write_two_mode_dataset(data, episodes=12)
    a = train(tiny_config(data, tmp_path / 'a', 5))
    b = train(dataclasses.replace(tiny_config(data, tmp_path / 'b', 5), seed=4))
    wa, wb = weights(a), weights(b)
    assert any(not torch.equal(wa[k], wb[k]) for k in wa)


def test_mse_objective_trains_and_loss_falls(tmp_path):
    data = tmp_path / 'data'
    write_two_mode_dataset(data, episodes=12)
    train(tiny_config(data, tmp_path / 'mse', 30, objective='mse', lr=3e-3, log_every=1))
    import json

    losses = [
        json.loads(line)['loss']
        for line in (tmp_path / 'mse' / 'train_log.jsonl').read_text().splitlines()
    ]
    assert sum(losses[-5:]) < sum(losses[:5])


def test_learning_rate_warms_up_then_decays_to_zero():
    cfg = TrainConfig(dataset='', output_dir='', steps=100, warmup_steps=10)
    factors = [lr_at(s, cfg) for s in range(100)]
    assert factors[0] == 0.1 and factors[9] == 1.0
    assert all(a >= b for a, b in zip(factors[10:], factors[11:]))
    assert factors[-1] < 0.01
