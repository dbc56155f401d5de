# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Inference: IMLE's one generator call against Diffusion Policy's samplers, on one UNet.

For each target (ORT provider + precision) and N in (1, 8, 32) samples:
  imle          one generator call: (condition, N noises) -> N chunks (the bundle's
                generator.onnx on ORT; the same network in torch eager beside it)
  ddpm100       Diffusion Policy's 100-step DDPM sampler over the same UNet with its
                diffusion-step input (ORT, and torch eager in the full run)
  ddim10        the 10-step DDIM sampler over that UNet
The encoder is not part of these rows: it runs once per frame as frames arrive, the same
for every sampler (see encoder_cache). Every row is one dict: what ran, where, how many
whole calls were timed, p50 and p99.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from .timing import CpuMeter, measure_interleaved, time_calls
from ..learning.diffusion_samplers import ddim_sample, ddpm_sample, NoiseSchedule


def row(case: str, backend: str, device: str, n: int, stats: dict, **extra) -> dict:
    return {
        'case': case,
        'backend': backend,
        'device': device,
        'n': n,
        **{k: stats[k] for k in ('p50_ms', 'p99_ms', 'calls')},
        **extra,
    }


def generator_inputs(
    condition_dim: int, pred_horizon: int, action_dim: int, n: int, seed: int = 0
):
    rng = np.random.default_rng(seed)
    cond = np.repeat(rng.standard_normal((1, condition_dim), dtype=np.float32), n, axis=0)
    noise = rng.standard_normal((n, pred_horizon, action_dim), dtype=np.float32)
    return cond, noise


def ort_denoiser(session, condition: np.ndarray) -> Callable:
    """Wrap the diffusion UNet session as a sampler's denoiser(x_t, t) on torch CPU tensors."""
    n = condition.shape[0]

    def eps(x: torch.Tensor, t: int) -> torch.Tensor:
        feeds = {
            'condition': condition,
            'noise': x.detach().cpu().numpy(),
            'timestep': np.full(n, t, dtype=np.int64),
        }
        return torch.from_numpy(session.run(None, feeds)[0])

    return eps


def torch_denoiser(unet, condition: torch.Tensor) -> Callable:
    def eps(x: torch.Tensor, t: int) -> torch.Tensor:
        return unet(condition, x, t)

    return eps


def sampler_runs(
    denoiser: Callable, noise: torch.Tensor, schedule: NoiseSchedule
) -> dict[str, Callable]:
    """Whole sampler runs as zero-argument callables (fresh step noise each DDPM run)."""
    gen = torch.Generator().manual_seed(0) if noise.device.type == 'cpu' else None

    def ddpm():
        with torch.inference_mode():
            return ddpm_sample(denoiser, noise, schedule, generator=gen).cpu()

    def ddim():
        with torch.inference_mode():
            return ddim_sample(denoiser, noise, 10, schedule).cpu()

    return {'ddpm100': ddpm, 'ddim10': ddim}


def imle_vs_torch(
    gen_session,
    generator,
    device_ort: str,
    device_torch: str | None,
    n: int,
    dims: tuple,
    settings,
    others: dict | None = None,
) -> list[dict]:
    """
    Time the generator on ORT and (if device_torch) in torch eager, interleaved.

    others: {target label: session} of other precisions on the same device (the int8
    generator), interleaved with the two, so that their ratios come from the same blocks.
    """
    cond, noise = generator_inputs(*dims, n)
    feeds = {'condition': cond, 'noise': noise}
    out_name = gen_session.get_outputs()[0].name
    cases = {'ort': lambda: gen_session.run([out_name], feeds)}
    for label, session in (others or {}).items():
        cases[label] = lambda s=session: s.run([s.get_outputs()[0].name], feeds)
    if device_torch is not None:
        torch_device = 'cuda' if device_torch.startswith('gpu') else 'cpu'
        cond_t = torch.from_numpy(cond).to(torch_device)
        noise_t = torch.from_numpy(noise).to(torch_device)

        def eager():
            with torch.inference_mode():
                return generator(cond_t, noise_t).cpu()  # .cpu(): the result on the host, synced

        cases['torch'] = eager
    stats = measure_interleaved(cases, settings.rounds, settings.block, settings.warmup)
    rows = [row('imle', 'ort', device_ort, n, stats['ort'])]
    if 'torch' in stats:
        rows.append(row('imle', 'torch-eager', device_torch, n, stats['torch']))
    rows += [
        row('imle', 'ort', device_ort, n, stats[label], target=label) for label in others or {}
    ]
    return rows


def diffusion_rows(
    denoiser: Callable,
    backend: str,
    device: str,
    n: int,
    dims: tuple,
    calls: dict,
    schedule: NoiseSchedule,
    torch_device: str = 'cpu',
) -> list[dict]:
    """
    Time the diffusion samplers' whole runs on `denoiser`.

    calls: {"ddpm100": whole runs, "ddim10": whole runs} (0 skips that sampler).
    """
    if not any(calls.values()):
        return []
    noise = torch.from_numpy(generator_inputs(*dims, n, seed=1)[1]).to(torch_device)
    runs = sampler_runs(denoiser, noise, schedule)
    with torch.inference_mode():
        denoiser(noise, 0)  # one untimed UNet call: first-call allocations, thread pool start
    return [
        row(case, backend, device, n, time_calls(runs[case], count))
        for case, count in calls.items()
        if count > 0
    ]


def ratio(rows: list[dict], slow: dict, fast: dict, stat: str = 'p50_ms') -> float | None:
    """Slow / fast of the first rows matching the two filters (None if either is missing)."""

    def find(f):
        return next((r for r in rows if all(r.get(k) == v for k, v in f.items())), None)

    a, b = find(slow), find(fast)
    return a[stat] / b[stat] if a and b else None


def run_target(
    target_label: str,
    device: str,
    gen_session,
    unet_session,
    generator,
    unet,
    torch_device_name: str | None,
    dims: tuple,
    settings,
    log,
    others: dict | None = None,
) -> tuple[list[dict], dict]:
    """
    All rows of one ORT target (plus torch eager where torch_device_name is given).

    others: generator sessions of other precisions timed beside it (imle_vs_torch).
    """
    rows, cpu = [], {}
    schedule = NoiseSchedule()
    for n in settings.batches:
        meter = CpuMeter()
        rows += imle_vs_torch(
            gen_session, generator, device, torch_device_name, n, dims, settings, others
        )
        cond = generator_inputs(*dims, n)[0]
        rows += diffusion_rows(
            ort_denoiser(unet_session, cond),
            'ort',
            device,
            n,
            dims,
            {
                'ddpm100': 0
                if settings.ddpm_big_n_only and n != settings.big_n
                else settings.ddpm_runs,
                'ddim10': settings.ddim_runs,
            },
            schedule,
        )
        if torch_device_name is not None:
            tdev = 'cuda' if torch_device_name.startswith('gpu') else 'cpu'
            rows += diffusion_rows(
                torch_denoiser(unet, torch.from_numpy(cond).to(tdev)),
                'torch-eager',
                torch_device_name,
                n,
                dims,
                {'ddpm100': settings.torch_ddpm_runs, 'ddim10': settings.torch_ddim_runs},
                schedule,
                tdev,
            )
        cpu[f'n{n}'] = meter.read()
        log(
            f'  {target_label} N={n}: '
            + ', '.join(
                f'{r["case"]}/{r.get("target", r["backend"])} {r["p50_ms"]:.1f}'
                for r in rows
                if r['n'] == n
            )
            + ' ms p50'
        )
    for r in rows:
        r.setdefault('target', target_label)
    return rows, cpu
