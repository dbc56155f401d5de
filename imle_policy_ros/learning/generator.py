# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Conditional 1-D UNet: (condition, noise chunk) -> action chunk, in one forward pass.

This is the IMLE Policy generator (the reference's GeneratorConditionalUnet1D), which is
Diffusion Policy's ConditionalUnet1D with the diffusion-step input removed: the Gaussian
noise of shape [T, action_dim] goes in where the noisy action would, and the network
maps it straight to an action chunk. The observation condition (image features + state
of the last obs_horizon steps, flattened) steers every residual block through FiLM.

Layout for down_dims = (d0, d1, d2) and a chunk of T steps (channels x length):

    noise  A x T
    down 0: res(A->d0), res(d0->d0)  -> skip   ; conv stride 2 -> d0 x T/2
    down 1: res(d0->d1), res(d1->d1) -> skip   ; conv stride 2 -> d1 x T/4
    down 2: res(d1->d2), res(d2->d2) -> skip   ; (no downsampling at the last level)
    mid:    res(d2->d2), res(d2->d2)
    up 0:   cat skip(d2) -> res(2*d2->d1), res(d1->d1) ; transposed conv -> d1 x T/2
    up 1:   cat skip(d1) -> res(2*d1->d0), res(d0->d0) ; transposed conv -> d0 x T
    out:    conv block d0->d0, 1x1 conv d0->A

There is one up level fewer than down levels, so the first level's skip is never
consumed; this is how the reference (and Diffusion Policy) are built, and we keep it so
that parameter counts and behaviour match. T must be divisible by 2**(levels - 1).

Set `timestep_embed_dim > 0` to get Diffusion Policy's noise-prediction network instead:
the forward then also takes a diffusion step, embedded (sinusoidal + MLP) and prepended
to the condition before FiLM, so DDPM/DDIM baselines can run on the very same UNet.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn


class SinusoidalEmbedding(nn.Module):
    """Scalar step t [B] -> [sin(t * f_i), cos(t * f_i)] [B, dim], f_i geometric in [1e-4, 1]."""

    def __init__(self, dim: int):
        super().__init__()
        if dim < 4 or dim % 2:
            raise ValueError(f'timestep_embed_dim must be even and >= 4, got {dim}')
        half = dim // 2
        freqs = torch.exp(
            torch.arange(half, dtype=torch.float32) * -(math.log(10000.0) / (half - 1))
        )
        # A buffer rather than an arange in forward: it becomes a plain constant in ONNX.
        self.register_buffer('freqs', freqs, persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        args = t.to(self.freqs.dtype)[:, None] * self.freqs[None, :]
        return torch.cat((args.sin(), args.cos()), dim=-1)


class Conv1dBlock(nn.Module):
    """Conv1d -> GroupNorm -> Mish; 'same' padding so the length is unchanged (odd kernels)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, n_groups: int):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.norm = nn.GroupNorm(n_groups, out_channels)
        self.act = nn.Mish()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.norm(self.conv(x)))


class FiLMResidualBlock(nn.Module):
    """
    Two conv blocks; between them the condition rescales and shifts every channel (FiLM).

    FiLM (Perez et al. 2018) lets one global vector modulate features at all time steps
    with a per-channel affine map, which is much cheaper than concatenating the (large,
    ~1000-d) condition to every time step.
    """

    def __init__(
        self, in_channels: int, out_channels: int, cond_dim: int, kernel_size: int, n_groups: int
    ):
        super().__init__()
        self.out_channels = out_channels
        self.block1 = Conv1dBlock(in_channels, out_channels, kernel_size, n_groups)
        self.block2 = Conv1dBlock(out_channels, out_channels, kernel_size, n_groups)
        # Mish first: the condition arrives raw (features / normalized state), and the
        # nonlinearity lets each block read its own view of it.
        self.film = nn.Sequential(nn.Mish(), nn.Linear(cond_dim, 2 * out_channels))
        self.shortcut = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        h = self.block1(x)
        film = self.film(cond).unsqueeze(-1)  # [B, 2C, 1], broadcast over time
        c = self.out_channels
        scale, shift = film[:, :c], film[:, c:]
        h = self.block2(scale * h + shift)
        return h + self.shortcut(x)


class ConditionalUnet1D(nn.Module):
    """
    forward(condition [B, condition_dim], noise [B, T, action_dim]) -> [B, T, action_dim].

    With timestep_embed_dim > 0: forward(condition, noise, timestep [B] or scalar).
    """

    def __init__(
        self,
        action_dim: int,
        condition_dim: int,
        down_dims: Sequence[int] = (256, 512, 1024),
        kernel_size: int = 5,
        n_groups: int = 8,
        timestep_embed_dim: int = 0,
    ):
        super().__init__()
        down_dims = tuple(int(d) for d in down_dims)
        if not down_dims:
            raise ValueError('down_dims must name at least one level')
        bad = [d for d in down_dims if d % n_groups]
        if bad:
            raise ValueError(
                f'every down_dims entry must be divisible by n_groups={n_groups}; {bad} is not'
            )
        if kernel_size % 2 == 0:
            raise ValueError(
                f'kernel_size must be odd to keep the chunk length, got {kernel_size}'
            )
        self.action_dim = action_dim
        self.condition_dim = condition_dim
        self.down_dims = down_dims
        self.timestep_embed_dim = timestep_embed_dim
        # Each downsampling halves the length, and the transposed convs double it back:
        # T must survive len(down_dims) - 1 exact halvings.
        self.length_multiple = 2 ** (len(down_dims) - 1)

        cond_dim = condition_dim
        if timestep_embed_dim > 0:
            d = timestep_embed_dim
            self.timestep_encoder = nn.Sequential(
                SinusoidalEmbedding(d), nn.Linear(d, 4 * d), nn.Mish(), nn.Linear(4 * d, d)
            )
            cond_dim += d
        else:
            self.timestep_encoder = None

        def res(c_in: int, c_out: int) -> FiLMResidualBlock:
            return FiLMResidualBlock(c_in, c_out, cond_dim, kernel_size, n_groups)

        channels = (action_dim,) + down_dims
        levels = list(zip(channels[:-1], channels[1:]))  # (in, out) channels per level

        self.down = nn.ModuleList()
        for i, (c_in, c_out) in enumerate(levels):
            is_last = i == len(levels) - 1
            self.down.append(
                nn.ModuleList(
                    [
                        res(c_in, c_out),
                        res(c_out, c_out),
                        nn.Identity()
                        if is_last
                        else nn.Conv1d(c_out, c_out, 3, stride=2, padding=1),
                    ]
                )
            )

        self.mid = nn.ModuleList(
            [res(down_dims[-1], down_dims[-1]), res(down_dims[-1], down_dims[-1])]
        )

        # Walk the levels back up (all but the first); the skip doubles the input width.
        self.up = nn.ModuleList()
        for c_in, c_out in reversed(levels[1:]):
            self.up.append(
                nn.ModuleList(
                    [
                        res(2 * c_out, c_in),
                        res(c_in, c_in),
                        nn.ConvTranspose1d(
                            c_in, c_in, 4, stride=2, padding=1
                        ),  # exactly doubles T
                    ]
                )
            )

        # The reference builds this block with the default 8 groups whatever n_groups is;
        # we pass n_groups, which is the same network for the default n_groups = 8.
        self.head = nn.Sequential(
            Conv1dBlock(down_dims[0], down_dims[0], kernel_size, n_groups),
            nn.Conv1d(down_dims[0], action_dim, 1),
        )

    def _check_shapes(self, condition: torch.Tensor, noise: torch.Tensor) -> None:
        if noise.dim() != 3 or noise.shape[-1] != self.action_dim:
            raise ValueError(f'expected noise [B, T, {self.action_dim}], got {tuple(noise.shape)}')
        if condition.dim() != 2 or condition.shape[-1] != self.condition_dim:
            raise ValueError(
                f'expected condition [B, {self.condition_dim}], got {tuple(condition.shape)}'
            )
        horizon = noise.shape[1]
        if horizon % self.length_multiple:
            raise ValueError(
                f'chunk length T={horizon} must be divisible by {self.length_multiple} '
                f'(2**(len(down_dims)-1) for down_dims={self.down_dims}); pick a pred_horizon '
                f'that is, e.g. '
                f'{self.length_multiple * max(1, -(-horizon // self.length_multiple))}'
            )

    def forward(
        self,
        condition: torch.Tensor,
        noise: torch.Tensor,
        timestep: torch.Tensor | float | int | None = None,
    ) -> torch.Tensor:
        # Shape checks run eagerly only: under the ONNX tracer they would be frozen into
        # constants (with a TracerWarning each) and add nothing to the exported graph.
        if not torch.jit.is_tracing():
            self._check_shapes(condition, noise)

        cond = condition
        if self.timestep_encoder is not None:
            if timestep is None:
                raise ValueError('this UNet was built with timestep_embed_dim > 0: pass timestep')
            t = (
                timestep
                if torch.is_tensor(timestep)
                else torch.tensor(timestep, device=noise.device)
            )
            if t.dim() == 0:
                t = t.expand(noise.shape[0])  # one step for the whole batch
            cond = torch.cat([self.timestep_encoder(t).to(condition.dtype), condition], dim=-1)
        elif timestep is not None:
            raise ValueError(
                'timestep given, but this UNet has no timestep embedding (timestep_embed_dim=0)'
            )

        x = noise.transpose(1, 2)  # [B, T, A] -> [B, A, T]: Conv1d wants channels first
        skips = []
        for block1, block2, downsample in self.down:
            x = block2(block1(x, cond), cond)
            skips.append(x)
            x = downsample(x)
        for block in self.mid:
            x = block(x, cond)
        for block1, block2, upsample in self.up:
            x = torch.cat([x, skips.pop()], dim=1)
            x = upsample(block2(block1(x, cond), cond))
        x = self.head(x)
        return x.transpose(1, 2)
