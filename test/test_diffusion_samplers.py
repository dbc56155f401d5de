# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""DDPM / DDIM samplers (the Diffusion Policy baselines of the benchmark)."""

import math

from imle_policy_ros.learning.diffusion_samplers import (
    ddim_sample,
    ddim_timesteps,
    ddpm_sample,
    NoiseSchedule,
    squared_cosine_betas,
)
from imle_policy_ros.learning.generator import ConditionalUnet1D
import pytest
import torch


def _alpha_bar(s):
    return math.cos((s + 0.008) / 1.008 * math.pi / 2) ** 2


def test_squared_cosine_schedule_ends_and_shape():
    betas = squared_cosine_betas(100)
    assert betas.shape == (100,)
    assert betas[0].item() == pytest.approx(1 - _alpha_bar(0.01) / _alpha_bar(0.0), rel=1e-12)
    assert betas[0].item() == pytest.approx(6.31e-4, rel=1e-2)  # tiny first step
    assert betas[-1].item() == 0.999  # alpha_bar(1) is ~0: the last beta is the clip value
    assert torch.all(betas[1:] >= betas[:-1])  # the noise level only grows
    schedule = NoiseSchedule(100)
    assert schedule.alpha_bar(-1) == 1.0
    assert schedule.alpha_bar(0) == pytest.approx(1 - betas[0].item())
    assert schedule.alpha_bar(99) < 1e-5  # x_T is (almost) pure noise


def test_ddim_timesteps_leading_spacing():
    assert ddim_timesteps(10) == [90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
    assert ddim_timesteps(100) == list(range(99, -1, -1))
    with pytest.raises(ValueError):
        ddim_timesteps(0)


def _oracle(x0, schedule, calls):
    """
    Return the perfect noise predictor for a known x0.

    eps = (x_t - sqrt(a_t) x0) / sqrt(1 - a_t).
    """

    def eps(x, t):
        calls.append(t)
        a = schedule.alpha_bar(t)
        return (x - math.sqrt(a) * x0) / math.sqrt(1 - a)

    return eps


@pytest.mark.parametrize('sampler', ['ddpm', 'ddim'])
def test_perfect_noise_predictor_recovers_x0(sampler):
    schedule = NoiseSchedule()
    g = torch.Generator().manual_seed(0)
    x0 = torch.rand(4, 16, 3, generator=g) * 1.8 - 0.9  # inside the clip range
    noise = torch.randn(4, 16, 3, generator=g)
    calls = []
    if sampler == 'ddpm':
        out = ddpm_sample(_oracle(x0, schedule, calls), noise, schedule, generator=g)
        assert calls == list(range(99, -1, -1))
    else:
        out = ddim_sample(_oracle(x0, schedule, calls), noise, 10, schedule)
        assert calls == [90, 80, 70, 60, 50, 40, 30, 20, 10, 0]
    assert out.shape == x0.shape and out.dtype == torch.float32
    torch.testing.assert_close(out, x0, atol=1e-4, rtol=0)


@pytest.mark.parametrize('sampler', ['ddpm', 'ddim'])
def test_x0_estimate_is_clipped_to_the_action_range(sampler):
    schedule = NoiseSchedule()
    x0 = torch.full((2, 8, 2), 1.7)  # outside [-1, 1]: Diffusion Policy clips the estimate
    noise = torch.randn(2, 8, 2, generator=torch.Generator().manual_seed(1))
    run = ddpm_sample if sampler == 'ddpm' else ddim_sample
    out = run(_oracle(x0, schedule, []), noise, schedule=schedule)
    torch.testing.assert_close(out, torch.ones_like(out), atol=1e-4, rtol=0)
    unclipped = run(_oracle(x0, schedule, []), noise, schedule=schedule, clip=False)
    torch.testing.assert_close(unclipped, x0, atol=1e-3, rtol=0)


def test_one_ddpm_step_matches_the_posterior_mean_formula():
    """
    Check the coefficients independently.

    With t = 1 the step must land on the mean of q(x_0' | x_1, x0) plus
    sqrt(fixed_small variance) * z, for the z the generator draws.
    """
    schedule = NoiseSchedule(2)  # two steps: t = 1 (with noise), t = 0
    x0 = torch.tensor([[[0.3]]])
    x_t = torch.tensor([[[0.8]]])
    a1, a0 = schedule.alpha_bar(1), schedule.alpha_bar(0)
    beta1 = 1 - a1 / a0
    seen = []

    def eps(x, t):
        seen.append((t, x.clone()))
        a = schedule.alpha_bar(t)
        return (x - math.sqrt(a) * x0) / math.sqrt(1 - a)

    ddpm_sample(eps, x_t, schedule, generator=torch.Generator().manual_seed(3), clip=False)
    z = torch.randn(1, 1, 1, generator=torch.Generator().manual_seed(3))
    mean = (math.sqrt(a0) * beta1 * x0 + math.sqrt(1 - beta1) * (1 - a0) * x_t) / (1 - a1)
    expected = mean + math.sqrt((1 - a0) / (1 - a1) * beta1) * z
    assert seen[1][0] == 0
    torch.testing.assert_close(seen[1][1], expected, atol=1e-6, rtol=0)


def test_ddim_is_deterministic_and_ddpm_is_not():
    torch.manual_seed(0)
    unet = ConditionalUnet1D(3, 10, (8, 16), timestep_embed_dim=8).eval()
    cond = torch.randn(5, 10)
    noise = torch.randn(5, 16, 3)

    def eps(x, t):
        return unet(cond, x, t)

    a, b = ddim_sample(eps, noise), ddim_sample(eps, noise)
    assert a.shape == (5, 16, 3)
    assert torch.equal(a, b)
    p = ddpm_sample(eps, noise, generator=torch.Generator().manual_seed(1))
    q = ddpm_sample(eps, noise, generator=torch.Generator().manual_seed(2))
    assert p.shape == (5, 16, 3) and not torch.allclose(p, q)
    assert torch.isfinite(p).all() and torch.isfinite(a).all()
