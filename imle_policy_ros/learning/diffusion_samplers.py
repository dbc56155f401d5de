# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
DDPM and DDIM samplers as Diffusion Policy runs them: the baselines IMLE Policy is timed against.

Diffusion Policy (Chi et al. 2023) draws an action chunk by starting from Gaussian noise
and calling its noise-prediction UNet once per denoising step: 100 steps with DDPM, or
10 with DDIM. IMLE Policy maps noise to a chunk in one call of the same UNet. These
torch samplers let the benchmark time both on the very same network (on a GPU too) and
are the reference for the deploy path's numpy copies (runtime.diffusion, which runs a
bundle trained with `--objective diffusion`; a test pins that both give the same chunk).
The schedule is defined once, in runtime.diffusion; NoiseSchedule reads it from there.

The settings are Diffusion Policy's (its diffusers DDPMScheduler / DDIMScheduler config):
  schedule      "squaredcos_cap_v2": alpha_bar(s) = cos((s + 0.008) / 1.008 * pi / 2)^2,
                beta_i = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), 0.999), T = 100
  prediction    epsilon (the network predicts the noise that was added)
  DDPM          100 steps t = 99..0, x0 estimate clipped to [-1, 1], "fixed_small" variance
                (the posterior variance), fresh noise at every step but the last
  DDIM          10 steps t = 90, 80, ..., 0 ("leading" spacing), eta = 0 (deterministic
                given the initial noise), x0 clipped, alpha_bar before step 0 taken as 1

`denoiser(x_t, t)` is any callable returning the predicted noise for a batch x_t [B, ...]
at integer step t (a Python int, the same for the whole batch): a torch module, or an
ONNX Runtime session wrapped to take and return torch tensors. The arithmetic between
calls is a few elementwise ops on [B, T, A], negligible next to a UNet call.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..runtime import diffusion as _schedule
from ..runtime.diffusion import ddim_timesteps, MAX_BETA, TRAIN_STEPS

Denoiser = Callable[[torch.Tensor, int], torch.Tensor]


def squared_cosine_betas(steps: int = TRAIN_STEPS, max_beta: float = MAX_BETA) -> torch.Tensor:
    """Betas of the squared-cosine schedule (Nichol & Dhariwal 2021), float64 [steps]."""
    return torch.from_numpy(_schedule.squared_cosine_betas(steps, max_beta))


class NoiseSchedule:
    """alphas_cumprod of the schedule, and the forward process q(x_t | x0) for tests."""

    def __init__(self, steps: int = TRAIN_STEPS):
        self.steps = steps
        self.betas = squared_cosine_betas(steps)
        # float64 for the products, as plain Python floats where the samplers use them.
        self.alphas_cumprod = torch.cumprod(1.0 - self.betas, dim=0)

    def alpha_bar(self, t: int) -> float:
        """alpha_bar_t; t = -1 means "before the first step" (no noise at all): 1."""
        return 1.0 if t < 0 else float(self.alphas_cumprod[t])

    def add_noise(self, x0: torch.Tensor, noise: torch.Tensor, t: int) -> torch.Tensor:
        a = self.alpha_bar(t)
        return math.sqrt(a) * x0 + math.sqrt(1.0 - a) * noise


def _x0_estimate(
    x: torch.Tensor, eps: torch.Tensor, alpha_bar_t: float, clip: bool
) -> torch.Tensor:
    x0 = (x - math.sqrt(1.0 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)
    # Diffusion Policy clips the estimate to the normalized action range [-1, 1].
    return x0.clamp(-1.0, 1.0) if clip else x0


@torch.no_grad()
def ddpm_sample(
    denoiser: Denoiser,
    noise: torch.Tensor,
    schedule: NoiseSchedule | None = None,
    generator: torch.Generator | None = None,
    clip: bool = True,
) -> torch.Tensor:
    """
    Ancestral DDPM sampling over every training step (T calls of `denoiser`).

    noise: the starting x_T [B, ...]; generator: for the noise drawn at each step.
    """
    schedule = schedule or NoiseSchedule()
    x = noise
    for t in reversed(range(schedule.steps)):
        a_t, a_prev = schedule.alpha_bar(t), schedule.alpha_bar(t - 1)
        beta_t = 1.0 - a_t / a_prev
        x0 = _x0_estimate(x, denoiser(x, t), a_t, clip)
        # Mean of the posterior q(x_{t-1} | x_t, x0) (Ho et al. 2020, eq. 7).
        x = (math.sqrt(a_prev) * beta_t / (1.0 - a_t)) * x0 + (
            math.sqrt(1.0 - beta_t) * (1.0 - a_prev) / (1.0 - a_t)
        ) * x
        if t > 0:
            variance = max((1.0 - a_prev) / (1.0 - a_t) * beta_t, 1e-20)  # "fixed_small"
            z = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
            x = x + math.sqrt(variance) * z
    return x


@torch.no_grad()
def ddim_sample(
    denoiser: Denoiser,
    noise: torch.Tensor,
    inference_steps: int = 10,
    schedule: NoiseSchedule | None = None,
    clip: bool = True,
) -> torch.Tensor:
    """Deterministic DDIM (eta = 0): `inference_steps` calls of `denoiser`."""
    schedule = schedule or NoiseSchedule()
    timesteps = ddim_timesteps(inference_steps, schedule.steps)
    ratio = schedule.steps // inference_steps
    x = noise
    for t in timesteps:
        a_t, a_prev = schedule.alpha_bar(t), schedule.alpha_bar(t - ratio)
        eps = denoiser(x, t)
        x0 = _x0_estimate(x, eps, a_t, clip)
        # Song et al. 2021, eq. 12 with sigma = 0; like diffusers, the direction term
        # uses the network's eps even when x0 was clipped.
        x = math.sqrt(a_prev) * x0 + math.sqrt(1.0 - a_prev) * eps
    return x
