# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The report's derived numbers: each row's physical floor, the headline ratios and targets.

Ratios are slow / fast of p50 (p99 alongside), measured in the same run on the same
device. The headline keys are at N = 32 on the CPU target (ort-cpu-fp32), where every
machine can run them; GPU targets get the same ratios under "gpu".
"""

from __future__ import annotations

from .flops import floor_ms
from .inference import ratio
from .torch_cuda import PREFIX as TORCH_CUDA_PREFIX
from .torch_cuda import summary as torch_cuda_summary

CPU_TARGET = 'ort-cpu-fp32'
INT8_TARGET = 'ort-cpu-int8'  # the int8 bundle's generator, timed beside CPU_TARGET's
TARGETS = {
    'imle_vs_ddpm100_speedup': 40.0,
    'ort_vs_torch_speedup': 1.5,
    'ort_int8_vs_torch_speedup': 2.0,
    'ort_int8_vs_ort_fp32_speedup': 1.5,
}
GPU_P99_TARGET_MS = 5.0
BUSY_CORES = 0.15
# Sections whose own child processes (deploy process, ROS nodes) count as "other" CPU use.
OWN_CHILDREN = ('memory', 'control_loop')
CALLS = {'imle': 1, 'ddpm100': 100, 'ddim10': 10}


def _rates_for(report: dict, row: dict) -> dict | None:
    if row['device'].startswith('cpu'):
        cpu = report['rates']['cpu']
        if row.get('target') == INT8_TARGET:
            return {**cpu, 'gemm_gmacs_per_s': cpu['gemm_gmacs_per_s_int8']}
        return cpu
    gpu = report['rates'].get('gpu')
    if not gpu:
        return None
    target = row.get('target', '')
    precision = next((p for p in ('fp16', 'bf16') if p in target), 'fp32')
    return {
        'gemm_gmacs_per_s': gpu[f'gemm_gmacs_per_s_{precision}'],
        'copy_gb_per_s': gpu['copy_gb_per_s'],
    }


def add_floors(report: dict) -> None:
    """floor_ms (max of compute and weight-reading bounds) and measured p50 / floor per row."""
    costs = report.get('costs', {})
    for row in report.get('inference', []):
        rates = _rates_for(report, row)
        if rates is None:
            continue
        unet = row['case'] != 'imle'
        macs = costs[f'{"diffusion_unet" if unet else "generator"}_macs_n{row["n"]}']
        weights = costs[f'{"diffusion_unet" if unet else "generator"}_weight_bytes_fp32']
        if 'fp16' in row.get('target', '') and row['backend'] == 'ort':
            weights /= 2
        if row.get('target') == INT8_TARGET:
            weights /= 4
        floor = floor_ms(macs, weights, rates, CALLS[row['case']])
        row['floor_ms'] = floor['floor_ms']
        row['floor_bound'] = 'compute' if floor['compute_ms'] >= floor['weights_ms'] else 'weights'
        row['x_floor'] = row['p50_ms'] / floor['floor_ms']
    for row in report.get('encoder_cache', []):
        rates = _rates_for(report, row)
        if rates and row['case'] == 'encode_one_frame_on_arrival':
            floor = floor_ms(
                costs['encoder_macs_per_frame'], costs['encoder_weight_bytes_fp32'], rates
            )
            row['floor_ms'], row['x_floor'] = floor['floor_ms'], row['p50_ms'] / floor['floor_ms']
    training = report.get('training')
    if training and training['device'].startswith('cpu'):
        floor_s = training['macs_per_step'] / (report['rates']['cpu']['gemm_gmacs_per_s'] * 1e9)
        training['floor_step_s'] = floor_s
        training['x_floor'] = (1.0 / training['steps_per_s']) / floor_s


def _ratios(report: dict, target: str, n: int, stat: str) -> dict:
    inf, enc = report.get('inference', []), report.get('encoder_cache', [])

    def imle(backend):
        return {'target': target, 'case': 'imle', 'backend': backend, 'n': n}

    return {
        'imle_vs_ddpm100_speedup': ratio(
            inf, {**imle('ort'), 'case': 'ddpm100'}, imle('ort'), stat
        ),
        'imle_vs_ddim10_speedup': ratio(inf, {**imle('ort'), 'case': 'ddim10'}, imle('ort'), stat),
        'ort_vs_torch_speedup': ratio(inf, imle('torch-eager'), imle('ort'), stat),
        'ort_int8_vs_torch_speedup': ratio(
            inf, imle('torch-eager'), {**imle('ort'), 'target': INT8_TARGET}, stat
        ),
        'ort_int8_vs_ort_fp32_speedup': ratio(
            inf, imle('ort'), {**imle('ort'), 'target': INT8_TARGET}, stat
        ),
        'encoder_cache_speedup': ratio(
            enc,
            {'target': target, 'case': 'act_reencode_history', 'n': n},
            {'target': target, 'case': 'act_cached_features', 'n': n},
            stat,
        ),
        # Diffusion Policy as it ships (torch eager) against IMLE as this package ships it (ORT)
        'imle_vs_ddpm100_torch_speedup': ratio(
            inf, {**imle('torch-eager'), 'case': 'ddpm100'}, imle('ort'), stat
        ),
        'imle_vs_ddim10_torch_speedup': ratio(
            inf, {**imle('torch-eager'), 'case': 'ddim10'}, imle('ort'), stat
        ),
    }


def headline(report: dict, n: int = 32) -> dict:
    out = dict(_ratios(report, CPU_TARGET, n, 'p50_ms'))
    out['n'] = n
    out['target'] = CPU_TARGET
    out['p99_ratios'] = _ratios(report, CPU_TARGET, n, 'p99_ms')
    out['figures'] = {
        f'{r["target"]}/{r["case"]}/{r["backend"]}/n{r["n"]}': {
            'p50_ms': r['p50_ms'],
            'p99_ms': r['p99_ms'],
            'calls': r['calls'],
            'device': r['device'],
        }
        for r in (*report.get('inference', []), *report.get('encoder_cache', []))
    }
    out['targets'] = {
        k: {'value': out[k], 'target': f'>= {v}x', 'met': None if out[k] is None else out[k] >= v}
        for k, v in TARGETS.items()
    }
    gpu = {}
    for label in sorted(
        {
            r['target']
            for r in report.get('inference', [])
            if r['target'] not in (CPU_TARGET, INT8_TARGET)
            and not r['target'].startswith(TORCH_CUDA_PREFIX)
        }
    ):
        p99 = next(
            (
                r['p99_ms']
                for r in report['inference']
                if r['target'] == label
                and r['case'] == 'imle'
                and r['backend'] == 'ort'
                and r['n'] == n
            ),
            None,
        )
        gpu[label] = {
            **_ratios(report, label, n, 'p50_ms'),
            'imle_p99_ms': p99,
            'p99_target': f'<= {GPU_P99_TARGET_MS} ms',
            'p99_met': None if p99 is None else p99 <= GPU_P99_TARGET_MS,
        }
    out['gpu'] = gpu or 'not measured: no GPU target ran (see skipped)'
    torch_rows = [
        r for r in report.get('inference', []) if r['target'].startswith(TORCH_CUDA_PREFIX)
    ]
    out['torch_cuda'] = (
        torch_cuda_summary(torch_rows, n, GPU_P99_TARGET_MS)
        if torch_rows
        else 'not measured: torch saw no CUDA GPU (see skipped)'
    )
    return out


def busy_sections(report: dict) -> list[str]:
    """
    Return the sections during which other processes (or the hypervisor) took much CPU.

    Much: a noticeable share of the CPU. Their timings are skewed, and on 2 cores badly
    (torch's OpenMP threads wait for a core that is busy elsewhere).
    """
    out = []
    for name, c in report.get('cpu_during', {}).items():
        if name in OWN_CHILDREN or name.startswith('inference_'):
            continue
        if c.get('other_cores', 0) + c.get('steal_cores', 0) > BUSY_CORES:
            out.append(f'{name} ({c.get("other_cores")} cores)')
    return out
