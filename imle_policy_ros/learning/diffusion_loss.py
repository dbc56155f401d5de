# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Diffusion Policy's denoising loss: the `--objective diffusion` baseline on the same networks.

Diffusion Policy (Chi et al. 2023) trains its UNet to predict the noise added to an action
chunk: draw a step t uniformly from 0..T-1 and Gaussian noise eps, form

    x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps      (x0: the normalized chunk)

and regress the network's output on eps with a mean squared error. The schedule
(squaredcos_cap_v2, T = 100) is the runtime's (runtime.diffusion), the one the deployed
samplers denoise with. Everything else (encoder, batches, crops, EMA, checkpoints) is the
training loop's, shared with rs_imle and mse, so the three objectives differ only here.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..runtime.diffusion import alphas_cumprod, TRAIN_STEPS

_ALPHAS_CUMPROD = torch.from_numpy(alphas_cumprod(TRAIN_STEPS))  # float64 [T]


def timestep_embed_dim(down_dims: Sequence[int]) -> int:
    """
    Return the width of the diffusion-step embedding for a UNet with these levels.

    Diffusion Policy uses 256 with down_dims (256, 512, 1024): the first level's width,
    which scales it down with small UNets (and is even, as the sinusoid needs).
    """
    return int(down_dims[0])


def noisy_chunks(
    x0: torch.Tensor, noise_gen: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """
    Return (x_t, t, eps) for clean chunks x0 [B, T, A]: t [B] long, eps like x0.

    t and eps are drawn on the CPU from noise_gen (seeded per step by the training loop),
    so a resumed run draws what the uninterrupted one would have.
    """
    batch = x0.shape[0]
    t = torch.randint(0, TRAIN_STEPS, (batch,), generator=noise_gen)
    eps = torch.randn(x0.shape, generator=noise_gen).to(x0.device, x0.dtype)
    alpha_bar = _ALPHAS_CUMPROD[t].to(x0.device, x0.dtype).view(batch, 1, 1)
    x_t = alpha_bar.sqrt() * x0 + (1.0 - alpha_bar).sqrt() * eps
    return x_t, t.to(x0.device), eps


def diffusion_loss(
    net: nn.Module, images, state: torch.Tensor, actions: torch.Tensor, noise_gen
) -> torch.Tensor:
    """MSE between the network's predicted noise and the noise added to `actions` [B, T, A]."""
    x_t, t, eps = noisy_chunks(actions, noise_gen)
    predicted = net(images, state, x_t.unsqueeze(1), t)[:, 0]
    return nn.functional.mse_loss(predicted, eps)
