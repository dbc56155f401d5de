# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Training throughput: RS-IMLE optimizer steps per second at the paper's batch and m.

One step is what learning/train.py does per step after collation: the loss of
train.compute_loss (without a graph: the encoder over B x obs_horizon frames and the
generator over B x m noises, to choose; with one: both again over the B chosen noises),
backward, gradient clipping, AdamW, the EMA update. The batch is random data made once up
front, so data loading is not timed (on a real dataset it runs on the same cores; see
ChunkWindows). The floor is the step's MACs at the measured matmul rate, counting backward
as two forwards (the input and the weight gradients).
"""

from __future__ import annotations

import resource
import time

import torch
from torch import nn

from .flops import count_macs
from .models import BenchConfig, build_network
from ..learning.train import compute_loss, EmaWeights, TrainConfig


def step_macs(net, batch: int, m: int) -> int:
    """
    Count the multiply-accumulates of one training step.

    The choosing forward over m samples per example, then forward and backward (2x) over the
    one chosen sample per example.
    """
    c = net.config
    h, w = c.image_hw
    enc = count_macs(net.encoder, torch.zeros(1, h, w, 3, dtype=torch.uint8)).total
    gen = count_macs(
        net.generator,
        torch.zeros(1, c.condition_dim),
        torch.zeros(1, c.pred_horizon, c.action_dim),
    ).total
    encode = batch * c.obs_horizon * enc
    return (encode + batch * m * gen) + 3 * (encode + batch * gen)


def run_training(
    cfg: BenchConfig,
    device: str,
    batch: int,
    m: int,
    steps: int,
    warmup: int,
    torch_device: str = 'cpu',
) -> dict:
    net = build_network(cfg)
    macs = step_macs(net, batch, m)  # on the CPU copy, before it moves
    net = net.to(torch_device).train()
    tc = TrainConfig(dataset='', output_dir='', batch_size=batch, samples_per_example=m)
    ema = EmaWeights(net, tc.ema_decay)
    optimizer = torch.optim.AdamW(net.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    g = torch.Generator().manual_seed(0)
    c = net.config
    images = {
        name: torch.randint(
            0, 256, (batch, c.obs_horizon, *c.image_hw, 3), dtype=torch.uint8, generator=g
        ).to(torch_device)
        for name in c.camera_names
    }
    state = (torch.rand(batch, c.obs_horizon, c.state_dim, generator=g) * 2 - 1).to(torch_device)
    actions = (torch.rand(batch, c.pred_horizon, c.action_dim, generator=g) * 2 - 1).to(
        torch_device
    )

    def step(k: int) -> float:
        t0 = time.perf_counter()
        loss = compute_loss(net, tc, images, state, actions, torch.Generator().manual_seed(k))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), tc.grad_clip)
        optimizer.step()
        ema.update(net, k)
        value = float(loss.detach())  # a host sync, as the training loop's logging does
        if not torch.isfinite(torch.tensor(value)):
            raise RuntimeError('training step produced a non-finite loss')
        return time.perf_counter() - t0

    for k in range(warmup):
        step(k)
    times = [step(warmup + k) for k in range(steps)]
    mean = sum(times) / len(times)
    return {
        'device': device,
        'batch': batch,
        'm': m,
        'timed_steps': steps,
        'warmup_steps': warmup,
        'step_s': times,
        'steps_per_s': 1.0 / mean,
        'samples_per_s': batch / mean,
        'macs_per_step': macs,
        'peak_rss_mib_process': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
