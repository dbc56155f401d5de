# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros bench` runs its whole code path (tiny networks) and reports sane numbers.

No timing thresholds: only that every figure exists, is positive and finite, and that
a GPU provider on a CPU-only build is skipped with a reason instead of failing.
"""

import json
import math

from imle_policy_ros.benchmarks.report import text_report
from imle_policy_ros.cli import main as cli
import onnxruntime as ort
import pytest

HEADLINE = (
    'imle_vs_ddpm100_speedup',
    'imle_vs_ddim10_speedup',
    'ort_vs_torch_speedup',
    'encoder_cache_speedup',
    'ort_int8_vs_torch_speedup',
    'ort_int8_vs_ort_fp32_speedup',
)


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.fixture(scope='module')
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp('bench') / 'report.json'
    rc = cli(
        [
            'bench',
            '--quick',
            '--config',
            'tiny',
            '--json',
            # 2, not 1: on an AVX2-only host torch 2.13's oneDNN backward of the tiny
            # network corrupts the heap with one thread (it aborts the process).
            '--threads',
            '2',
            '--providers',
            'cuda',
            'tensorrt',
            '--sections',
            'inference',
            'torch_cuda',
            'encoder_cache',
            'memory',
            'training',
            '--output',
            str(out),
        ]
    )
    assert rc == 0
    return json.loads(out.read_text())


def test_headline_keys_are_positive_ratios(report):
    h = report['headline']
    assert h['n'] == 32
    for key in HEADLINE:
        assert _positive(h[key]), key
        assert report[key] == h[key]  # also at the top level of the JSON object
        assert _positive(h['p99_ratios'][key]), key
    assert set(h['targets']) == {
        'imle_vs_ddpm100_speedup',
        'ort_vs_torch_speedup',
        'ort_int8_vs_torch_speedup',
        'ort_int8_vs_ort_fp32_speedup',
    }


def test_raw_figures_at_every_n_with_their_device(report):
    rows = report['inference']
    for n in (1, 8, 32):
        for case, backend in (
            ('imle', 'ort'),
            ('imle', 'torch-eager'),
            ('ddpm100', 'ort'),
            ('ddim10', 'ort'),
        ):
            match = [
                r
                for r in rows
                if (r['case'], r['backend'], r['n']) == (case, backend, n)
                and r['target'] == 'ort-cpu-fp32'
            ]
            assert len(match) == 1, (case, backend, n)
            r = match[0]
            assert _positive(r['p50_ms']) and _positive(r['p99_ms']) and r['p99_ms'] >= r['p50_ms']
            assert r['calls'] >= 1 and r['device'].startswith('cpu:')
            assert _positive(r['floor_ms']) and _positive(r['x_floor'])
    for n in (1, 8, 32):
        (int8,) = [r for r in rows if r['target'] == 'ort-cpu-int8' and r['n'] == n]
        assert (int8['case'], int8['backend']) == ('imle', 'ort')
        assert _positive(int8['p50_ms']) and _positive(int8['floor_ms'])
    figures = report['headline']['figures']
    assert figures['ort-cpu-fp32/imle/ort/n32']['device'].startswith('cpu:')
    assert figures['ort-cpu-int8/imle/ort/n32']['device'].startswith('cpu:')
    parity = report['export']['parity_max_abs_diff']
    assert all(0 <= v < 1e-4 for v in parity.values())


def test_gpu_providers_are_skipped_with_a_reason_on_a_cpu_build(report):
    if 'CUDAExecutionProvider' in ort.get_available_providers():
        pytest.skip('this onnxruntime build has CUDA: the GPU targets ran')
    for label in ('ort-cuda-fp32', 'ort-cuda-fp16', 'ort-tensorrt-fp32', 'ort-tensorrt-fp16'):
        assert 'not in this onnxruntime build' in report['skipped'][label]
    assert 'not measured' in report['headline']['gpu']


def test_torch_cuda_is_skipped_with_a_reason_without_a_gpu(report):
    import torch

    if torch.cuda.is_available():
        pytest.skip('torch sees a GPU: the torch-cuda rows ran')
    assert 'no CUDA GPU' in report['skipped']['torch_cuda']
    assert 'not measured' in report['headline']['torch_cuda']


def test_torch_cuda_rows_with_the_cpu_standing_in():
    """The torch-cuda section's code on the CPU: eager fp32 and bf16 (graphs need CUDA)."""
    from imle_policy_ros.benchmarks import torch_cuda
    from imle_policy_ros.benchmarks.models import build_diffusion_unet, build_network, CONFIGS

    cfg = CONFIGS['tiny']
    net = build_network(cfg)
    unet = build_diffusion_unet(net, cfg.step_embed_dim)
    c = net.config
    got = torch_cuda.run_torch_cuda(
        net,
        unet,
        (c.condition_dim, c.pred_horizon, c.action_dim),
        cfg.image_hw,
        (1, 4),
        log=lambda msg: None,
        device='cpu',
        counts=(2, 2, 1),
        sampler_runs_per={'ddpm100': 1, 'ddim10': 1},
    )
    assert got['skipped'] == {}
    cases = {(r['case'], r['target'], r['n']) for r in got['inference']}
    for precision in ('fp32', 'bf16'):
        for case in ('imle', 'ddpm100', 'ddim10'):
            assert {(case, f'torch-cuda-{precision}', n) for n in (1, 4)} <= cases
    assert {r['target'] for r in got['encoder_cache']} == {'torch-cuda-fp32', 'torch-cuda-bf16'}
    summary = torch_cuda.summary(got['inference'], 4, 5.0)
    assert set(summary) == {'torch-cuda-fp32', 'torch-cuda-bf16'}
    for entry in summary.values():
        assert _positive(entry['imle_p99_ms']) and isinstance(entry['p99_met'], bool)
        # 100 UNet calls against one generator call on the same network sizes
        assert entry['imle_vs_ddpm100_speedup'] > 5


def test_training_memory_and_costs(report):
    t = report['training']
    assert _positive(t['steps_per_s']) and _positive(t['floor_step_s']) and t['timed_steps'] >= 1
    for key in ('deploy_process', 'deploy_process_int8'):
        mem = report['memory'][key]
        assert _positive(mem['peak_rss_mib_peak']) and mem['torch_imported'] is False
        assert mem['peak_rss_mib_peak'] >= mem['peak_rss_mib_after_imports']
        assert _positive(mem['weight_mib'])
    costs = report['costs']
    assert costs['generator_macs_n32'] == 32 * costs['generator_macs_n1']
    assert (
        costs['diffusion_unet_macs_n1'] > costs['generator_macs_n1']
    )  # the step embedding adds a little
    rates = report['rates']['cpu']
    assert _positive(rates['gemm_gmacs_per_s']) and _positive(rates['copy_gb_per_s'])
    assert _positive(rates['gemm_gmacs_per_s_int8']) and _positive(rates['gemm_gmacs_per_s_bf16'])


def test_text_report_renders(report):
    text = text_report(report)
    assert 'imle_vs_ddpm100_speedup' in text and '| ort-cpu-fp32 | imle | ort | 32 |' in text
    assert (
        'skipped   ort-cuda-fp32' in text
        or 'CUDAExecutionProvider' in ort.get_available_providers()
    )


def test_gpu_code_path_runs_with_the_cpu_standing_in_for_cuda(monkeypatch):
    """
    No GPU in CI: run the CUDA targets on the CPU provider.

    The targets are fp32, and fp16 through the fp16 export; this checks that path's
    sessions, rows and headline entries.
    """
    from imle_policy_ros.benchmarks import providers
    from imle_policy_ros.benchmarks.run import run_benchmark
    from imle_policy_ros.benchmarks.settings import settings_for

    opened = []
    real_open = providers.open_session

    def open_on_cpu(
        target, fp32_path, fp16_path, threads, shapes, max_batch, cache_dir, allow_spinning=False
    ):
        if target.provider == 'cpu':
            return real_open(
                target, fp32_path, fp16_path, threads, shapes, max_batch, cache_dir, allow_spinning
            )
        path = fp16_path() if target.precision == 'fp16' else fp32_path
        opened.append((target.label, path.name, shapes(max_batch)))
        return real_open(
            providers.Target('cpu', 'fp32'),
            path,
            None,
            threads,
            None,
            0,
            cache_dir,
            allow_spinning,
        )

    monkeypatch.setattr(providers, 'open_session', open_on_cpu)
    monkeypatch.setattr(providers, 'unavailable_reason', lambda target: None)
    report = run_benchmark(
        'tiny',
        settings_for(True, 1, 'tiny'),
        ('inference', 'encoder_cache'),
        ('cuda',),
        log=lambda msg: None,
    )
    assert (
        'ort-cuda-fp16',
        'generator_fp16.onnx',
        {'condition': (32, 38), 'noise': (32, 16, 3)},
    ) in opened
    assert len(opened) == 6  # three networks x two precisions, each opened once
    gpu = report['headline']['gpu']
    assert set(gpu) == {'ort-cuda-fp32', 'ort-cuda-fp16'}
    for entry in gpu.values():
        assert _positive(entry['imle_p99_ms']) and _positive(entry['imle_vs_ddpm100_speedup'])
        assert isinstance(entry['p99_met'], bool)
    assert all(
        r['device'].startswith('gpu:')
        for r in report['inference']
        if r['target'] not in ('ort-cpu-fp32', 'ort-cpu-int8')
    )


@pytest.mark.parametrize('argv', [['--help'], ['bench', '--help'], ['soak', '--help']])
def test_cli_help_imports_nothing_heavy(argv):
    """A deploy host gets help in an instant: no torch, ONNX Runtime or numpy for it."""
    import subprocess
    import sys

    code = (
        'import sys\n'
        'from imle_policy_ros.cli import main\n'
        'try:\n'
        f'    main({argv!r})\n'
        'except SystemExit:\n'
        '    pass\n'
        "print('imported:', *(m for m in ('torch', 'onnxruntime', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, '-c', code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == 'imported:'
