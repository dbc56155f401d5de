# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The benchmark's networks in torch on a CUDA GPU, without ONNX Runtime's GPU build.

ONNX Runtime's CUDA and TensorRT providers ship in a separate build (onnxruntime-gpu);
where it is missing those targets are skipped with the reason, and these rows still say
what the GPU does with the same networks. Targets (each row's `target`):

  torch-cuda-fp32        eager, fp32
  torch-cuda-bf16        eager under bf16 autocast
  torch-cuda-graph-fp32  one CUDA graph captured per N and replayed: no per-kernel launches
  torch-cuda-graph-bf16  the same under bf16 autocast

A timed IMLE call is the policy's whole path: condition and noise copied from host memory
to the GPU, one generator call, the chunks copied back (which waits for the GPU). The
DDPM100 and DDIM10 samplers keep x_t on the GPU between their steps (what IO binding would
give ONNX Runtime), so their ratios to IMLE are like for like. The encoder row encodes one
camera frame, uint8 from host memory to features on the host.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np
import torch

from .inference import generator_inputs, row, sampler_runs, torch_denoiser
from .timing import measure_interleaved, time_calls
from ..learning.diffusion_samplers import NoiseSchedule

PRECISIONS = ('fp32', 'bf16')
PREFIX = 'torch-cuda-'  # every target label of this section starts with it
# GPU calls take milliseconds: enough of them for a p99 that is not just the slowest call.
ROUNDS, BLOCK, WARMUP = 20, 10, 3
SAMPLER_RUNS = {'ddpm100': 5, 'ddim10': 20}


def unavailable_reason() -> str | None:
    if not torch.cuda.is_available():
        return 'torch sees no CUDA GPU (torch.cuda.is_available() is False)'
    return None


def label(precision: str, graph: bool) -> str:
    return f'{PREFIX}{"graph-" if graph else ""}{precision}'


def _autocast(precision: str, device: str):
    if precision == 'fp32':
        return contextlib.nullcontext()
    # No weight-cast cache: a captured graph must not hold casts made outside it.
    return torch.autocast(device, dtype=torch.bfloat16, cache_enabled=False)


def _variants(device: str) -> list[tuple[str, bool]]:
    """(precision, graph) pairs to time; CUDA graphs only on CUDA (the tests run on CPU)."""
    return [(p, g) for p in PRECISIONS for g in (False, True) if device == 'cuda' or not g]


def host_to_host(
    module: torch.nn.Module,
    host_inputs: list[torch.Tensor],
    precision: str,
    graph: bool,
    device: str = 'cuda',
) -> Callable[[], torch.Tensor]:
    """
    Return a call that copies host_inputs to the GPU, runs module, brings the result back.

    graph: capture the module's kernels once (on a side stream, after warm-up calls, as
    CUDA graphs require) and replay them into the same output buffer on every call.
    """
    device_inputs = [torch.empty_like(t, device=device) for t in host_inputs]

    def forward() -> torch.Tensor:
        with _autocast(precision, device):
            return module(*device_inputs).float()

    def upload() -> None:
        for dev, host in zip(device_inputs, host_inputs):
            dev.copy_(host)

    with torch.inference_mode():
        upload()
        if not graph:

            def eager() -> torch.Tensor:
                with torch.inference_mode():
                    upload()
                    return forward().cpu()

            return eager
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                forward()
        torch.cuda.current_stream().wait_stream(side)
        captured = torch.cuda.CUDAGraph()
        with torch.cuda.graph(captured):
            output = forward()

    def replay() -> torch.Tensor:
        with torch.inference_mode():
            upload()
            captured.replay()
            return output.cpu()

    return replay


def _timed(module, inputs: list, device: str, what: str, skipped: dict, counts) -> dict:
    cases = {}
    for precision, graph in _variants(device):
        name = label(precision, graph)
        try:
            cases[name] = host_to_host(module, inputs, precision, graph, device)
        except Exception as exc:  # a capture this torch build refuses: say so, go on
            skipped[f'{name}/{what}'] = f'{type(exc).__name__}: {exc}'
    return measure_interleaved(cases, *counts)


def _imle_rows(generator, dims, n: int, device: str, name: str, skipped: dict, counts) -> list:
    cond, noise = generator_inputs(*dims, n)
    inputs = [torch.from_numpy(cond), torch.from_numpy(noise)]
    stats = _timed(generator, inputs, device, f'imle/n{n}', skipped, counts)
    return [
        row('imle', 'torch-graph' if 'graph' in t else 'torch-eager', name, n, s, target=t)
        for t, s in stats.items()
    ]


def _sampler_rows(unet, dims: tuple, n: int, device: str, name: str, runs_per: dict) -> list:
    cond = torch.from_numpy(generator_inputs(*dims, n)[0]).to(device)
    noise = torch.from_numpy(generator_inputs(*dims, n, seed=1)[1]).to(device)
    out = []
    for precision in PRECISIONS:
        denoise = torch_denoiser(unet, cond)

        def eps(x, t, denoise=denoise, precision=precision):
            with _autocast(precision, device):
                return denoise(x, t).float()

        runs = sampler_runs(eps, noise, NoiseSchedule())
        for case, count in runs_per.items():
            # one untimed whole run: first-call allocations and kernel selection
            stats = time_calls(runs[case], count, warmup=1)
            out.append(row(case, 'torch-eager', name, n, stats, target=label(precision, False)))
    return out


def _encoder_rows(encoder, image_hw: tuple, device: str, name: str, skipped, counts) -> list:
    rng = np.random.default_rng(2)
    frame = torch.from_numpy(rng.integers(0, 256, (1, *image_hw, 3), dtype=np.uint8))
    stats = _timed(encoder, [frame], device, 'encoder', skipped, counts)
    return [
        {**row('encode_one_frame_on_arrival', 'torch', name, 1, s), 'target': t}
        for t, s in stats.items()
    ]


def run_torch_cuda(
    net,
    unet,
    dims: tuple,
    image_hw: tuple,
    batches,
    log,
    device: str = 'cuda',
    counts: tuple = (ROUNDS, BLOCK, WARMUP),
    sampler_runs_per: dict = SAMPLER_RUNS,
) -> dict:
    """
    Time the generator, the samplers' UNet and the encoder on the first CUDA GPU.

    Return {'inference': rows, 'encoder_cache': rows, 'skipped': {what: reason}}. device,
    counts (rounds, block, warm-up calls) and sampler_runs_per are there for the tests,
    which run the same code on the CPU, eager only, with fewer calls.
    """
    name = f'gpu: {torch.cuda.get_device_name(0)}' if device == 'cuda' else f'{device} (test)'
    generator = net.generator.to(device).eval()
    unet = unet.to(device).eval()
    inference, skipped = [], {}
    for n in batches:
        rows = _imle_rows(generator, dims, n, device, name, skipped, counts)
        rows += _sampler_rows(unet, dims, n, device, name, sampler_runs_per)
        log(
            f'  torch-cuda N={n}: '
            + ', '.join(f'{r["case"]}/{r["target"]} {r["p50_ms"]:.2f}' for r in rows)
            + ' ms p50'
        )
        inference += rows
    encoder_rows = _encoder_rows(
        net.encoder.to(device).eval(), image_hw, device, name, skipped, counts
    )
    net.cpu(), unet.cpu()
    if device == 'cuda':
        torch.cuda.empty_cache()
    return {'inference': inference, 'encoder_cache': encoder_rows, 'skipped': skipped}


def add_section(report: dict, run, log) -> None:
    """Add the torch-cuda rows of run's networks (a benchmarks.run.Run), or say why not."""
    reason = unavailable_reason()
    if reason:
        report['skipped']['torch_cuda'] = reason
        return
    got = run_torch_cuda(run.net, run.unet, run.dims, run.cfg.image_hw, run.settings.batches, log)
    report['inference'] += got['inference']
    report['encoder_cache'] += got['encoder_cache']
    report['skipped'].update(got['skipped'])


def summary(rows: list[dict], n: int, p99_target_ms: float) -> dict:
    """Per torch-cuda target at N = n: IMLE p50/p99, the p99 target, IMLE vs the samplers."""

    def find(case, target):
        return next(
            (r for r in rows if (r['case'], r['target'], r['n']) == (case, target, n)), None
        )

    out = {}
    for precision in PRECISIONS:
        for graph in (False, True):
            name = label(precision, graph)
            imle = find('imle', name)
            if imle is None:
                continue
            eager = label(precision, False)  # the samplers run eager: one graph per step is
            ddpm, ddim = find('ddpm100', eager), find('ddim10', eager)  # not what DP ships
            out[name] = {
                'imle_p50_ms': imle['p50_ms'],
                'imle_p99_ms': imle['p99_ms'],
                'p99_target': f'<= {p99_target_ms} ms',
                'p99_met': imle['p99_ms'] <= p99_target_ms,
                'imle_vs_ddpm100_speedup': ddpm and ddpm['p50_ms'] / imle['p50_ms'],
                'imle_vs_ddim10_speedup': ddim and ddim['p50_ms'] / imle['p50_ms'],
            }
    return out
