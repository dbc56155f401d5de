# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Diffusion Policy's noise schedule and its DDIM-10 / DDPM-100 samplers, in numpy.

A diffusion bundle's generator.onnx is a noise-prediction UNet, (condition, x_t, t) ->
predicted noise, so drawing one chunk takes a loop of session calls with a little
arithmetic between them; this module is that loop, for the deploy host (no torch). The
schedule is defined here once: training (learning.diffusion_loss) and the torch samplers
of the benchmark (learning.diffusion_samplers) read it from this module, so training and
deployment cannot disagree about the noise levels.

The settings are Diffusion Policy's (its diffusers DDPMScheduler / DDIMScheduler config):
  schedule      "squaredcos_cap_v2": alpha_bar(s) = cos((s + 0.008) / 1.008 * pi / 2)^2,
                beta_i = min(1 - alpha_bar((i + 1) / T) / alpha_bar(i / T), 0.999), T = 100
  prediction    epsilon (the network predicts the noise that was added)
  DDPM          100 steps t = 99..0, x0 estimate clipped to [-1, 1], "fixed_small" variance,
                fresh noise at every step but the last
  DDIM          10 steps t = 90, 80, ..., 0 ("leading" spacing), eta = 0, x0 clipped,
                alpha_bar before step 0 taken as 1
learning.diffusion_samplers holds the same two samplers in torch; a test pins that both
give the same chunk for the same network and noise.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .policy_spec import DIFFUSION_SAMPLERS

TRAIN_STEPS = 100  # Diffusion Policy's num_train_timesteps
MAX_BETA = 0.999
DDIM_STEPS = 10

# denoiser(x_t [B, T, A] float32, t) -> predicted noise [B, T, A]; t is one step for the batch.
Denoiser = Callable[[np.ndarray, int], np.ndarray]
# draw(shape) -> standard normal float32 noise: DDPM's fresh noise at each step.
NoiseSource = Callable[[tuple], np.ndarray]


def squared_cosine_betas(steps: int = TRAIN_STEPS, max_beta: float = MAX_BETA) -> np.ndarray:
    """Betas of the squared-cosine schedule (Nichol & Dhariwal 2021), float64 [steps]."""

    def alpha_bar(s: float) -> float:
        return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2

    return np.array(
        [
            min(1.0 - alpha_bar((i + 1) / steps) / alpha_bar(i / steps), max_beta)
            for i in range(steps)
        ],
        dtype=np.float64,
    )


def alphas_cumprod(steps: int = TRAIN_STEPS) -> np.ndarray:
    """alpha_bar_t for t = 0..steps-1, float64 (the products in double, as diffusers does)."""
    return np.cumprod(1.0 - squared_cosine_betas(steps))


def ddim_timesteps(inference_steps: int, train_steps: int = TRAIN_STEPS) -> list[int]:
    """
    Return the timesteps with "leading" spacing, as diffusers' DDIMScheduler does.

    10 of 100 -> [90, 80, ..., 0].
    """
    if not 1 <= inference_steps <= train_steps:
        raise ValueError(f'inference_steps must be in 1..{train_steps}, got {inference_steps}')
    ratio = train_steps // inference_steps
    return [i * ratio for i in reversed(range(inference_steps))]


def _alpha_bar(cumprod: np.ndarray, t: int) -> float:
    return 1.0 if t < 0 else float(cumprod[t])  # t = -1: before the first step, no noise


def _x0_estimate(x: np.ndarray, eps: np.ndarray, alpha_bar_t: float) -> np.ndarray:
    x0 = (x - math.sqrt(1.0 - alpha_bar_t) * eps) / math.sqrt(alpha_bar_t)
    return np.clip(x0, -1.0, 1.0)  # Diffusion Policy clips to the normalized action range


def ddim_sample(
    denoiser: Denoiser, noise: np.ndarray, inference_steps: int = DDIM_STEPS
) -> np.ndarray:
    """Deterministic DDIM (eta = 0) from x_T = noise: `inference_steps` denoiser calls."""
    cumprod = alphas_cumprod()
    ratio = TRAIN_STEPS // inference_steps
    x = np.asarray(noise, dtype=np.float32)
    for t in ddim_timesteps(inference_steps):
        a_t, a_prev = _alpha_bar(cumprod, t), _alpha_bar(cumprod, t - ratio)
        eps = denoiser(x, t)
        x0 = _x0_estimate(x, eps, a_t)
        # Song et al. 2021, eq. 12 with sigma = 0; the direction uses the network's eps even
        # where x0 was clipped (as diffusers does).
        x = (math.sqrt(a_prev) * x0 + math.sqrt(1.0 - a_prev) * eps).astype(np.float32)
    return x


def ddpm_sample(denoiser: Denoiser, noise: np.ndarray, draw: NoiseSource) -> np.ndarray:
    """Ancestral DDPM from x_T = noise over all TRAIN_STEPS steps; `draw` gives step noise."""
    cumprod = alphas_cumprod()
    x = np.asarray(noise, dtype=np.float32)
    for t in reversed(range(TRAIN_STEPS)):
        a_t, a_prev = _alpha_bar(cumprod, t), _alpha_bar(cumprod, t - 1)
        beta_t = 1.0 - a_t / a_prev
        x0 = _x0_estimate(x, denoiser(x, t), a_t)
        # Mean of the posterior q(x_{t-1} | x_t, x0) (Ho et al. 2020, eq. 7).
        x_prev = (math.sqrt(a_prev) * beta_t / (1.0 - a_t)) * x0 + (
            math.sqrt(1.0 - beta_t) * (1.0 - a_prev) / (1.0 - a_t)
        ) * x
        if t > 0:
            variance = max((1.0 - a_prev) / (1.0 - a_t) * beta_t, 1e-20)  # "fixed_small"
            x_prev = x_prev + math.sqrt(variance) * draw(x.shape)
        x = np.asarray(x_prev, dtype=np.float32)
    return x


def run_sampler(name: str, denoiser: Denoiser, noise: np.ndarray, draw: NoiseSource) -> np.ndarray:
    """Run the sampler named in policy_spec.DIFFUSION_SAMPLERS ('ddim10' or 'ddpm100')."""
    if name == 'ddim10':
        return ddim_sample(denoiser, noise, DDIM_STEPS)
    if name == 'ddpm100':
        return ddpm_sample(denoiser, noise, draw)
    raise ValueError(f'unknown diffusion sampler {name!r}; use one of {DIFFUSION_SAMPLERS}')


def session_denoiser(session, condition: np.ndarray, names: tuple[str, str, str, str]) -> Denoiser:
    """
    Wrap a diffusion generator.onnx session as a denoiser for the batch's conditions.

    names: (condition input, x_t input, timestep input, predicted-noise output).
    """
    cond_in, x_in, t_in, eps_out = names
    batch = condition.shape[0]

    def eps(x: np.ndarray, t: int) -> np.ndarray:
        feeds = {cond_in: condition, x_in: x, t_in: np.full(batch, t, dtype=np.int64)}
        (out,) = session.run([eps_out], feeds)
        return out

    return eps
