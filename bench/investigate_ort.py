# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Why ONNX Runtime was slow on the generator, and what the export rewrites change.

    python bench/investigate_ort.py [--config paper|small] [--quick]   (prints JSON)

The paper generator exported three ways: as torch.onnx.export writes it ("plain"), with
the Conv1d layers folded over the batch ("folded"), and folded + ExpMish ("bundle": what
learning.export writes now). Each runs under the runtime's session options and a few
others, interleaved with torch eager, at N = 1 and N = 32. It also prints ORT's kernel
time per op type and the op types left after ORT's graph optimizations.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys
import tempfile
import warnings

from imle_policy_ros.benchmarks.inference import generator_inputs
from imle_policy_ros.benchmarks.models import build_network, CONFIGS
from imle_policy_ros.benchmarks.timing import measure_interleaved
from imle_policy_ros.learning.export import OPSET
from imle_policy_ros.learning.export_rewrites import BatchFoldedConv1d, rewrite_for_onnx
import numpy as np
import onnxruntime as ort
import torch
from torch import nn

LEVELS = {
    'disable': ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    'basic': ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    'extended': ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    'all': ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


def fold_only(module: nn.Module) -> nn.Module:
    """rewrite_for_onnx, then Mish put back: the batch fold alone."""
    folded = rewrite_for_onnx(module)
    for parent in list(folded.modules()):
        for name, child in list(parent.named_children()):
            if type(child).__name__ == 'ExpMish':
                setattr(parent, name, nn.Mish())
    assert any(isinstance(m, BatchFoldedConv1d) for m in folded.modules())
    return folded


def export(module: nn.Module, cfg, path: Path) -> Path:
    c = cfg
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(
            module.eval(),
            (torch.zeros(2, c.condition_dim), torch.zeros(2, c.pred_horizon, c.action_dim)),
            str(path),
            input_names=['condition', 'noise'],
            output_names=['actions'],
            dynamic_axes={k: {0: 'batch'} for k in ('condition', 'noise', 'actions')},
            opset_version=OPSET,
            dynamo=False,
        )
    return path


def session(
    path: Path, threads: int, level: str = 'all', spin: bool = True, profile: str | None = None
):
    o = ort.SessionOptions()
    o.graph_optimization_level = LEVELS[level]
    o.intra_op_num_threads = threads
    if not spin:
        o.add_session_config_entry('session.intra_op.allow_spinning', '0')
    if profile:
        o.enable_profiling, o.profile_file_prefix = True, profile
    return ort.InferenceSession(str(path), o, providers=['CPUExecutionProvider'])


def kernel_profile(path: Path, threads: int, feeds: dict, runs: int = 3) -> dict:
    """ORT kernel time per op type, ms per call (the warm-up call dropped)."""
    with tempfile.TemporaryDirectory() as tmp:
        s = session(path, threads, profile=str(Path(tmp) / 'p'))
        for _ in range(runs + 1):
            s.run(None, feeds)
        events = json.loads(Path(s.end_profiling()).read_text())
    kernels = [e for e in events if e.get('cat') == 'Node' and e['name'].endswith('_kernel_time')]
    by_op: dict = {}
    warmup = len(kernels) // (runs + 1)
    for e in kernels[warmup:]:
        by_op[e['args']['op_name']] = by_op.get(e['args']['op_name'], 0.0) + e['dur'] / 1e3 / runs
    return dict(sorted(((k, round(v, 2)) for k, v in by_op.items()), key=lambda kv: -kv[1]))


def optimized_ops(path: Path, threads: int) -> dict:
    import onnx

    with tempfile.TemporaryDirectory() as tmp:
        o = ort.SessionOptions()
        o.graph_optimization_level = LEVELS['all']
        o.intra_op_num_threads = threads
        o.optimized_model_filepath = str(Path(tmp) / 'opt.onnx')
        o.log_severity_level = 3
        o.add_session_config_entry(
            'session.optimized_model_external_initializers_file_name', 'w.bin'
        )
        ort.InferenceSession(str(path), o, providers=['CPUExecutionProvider'])
        model = onnx.load(str(Path(tmp) / 'opt.onnx'), load_external_data=False)
    counts: dict = {}
    for n in model.graph.node:
        counts[n.op_type] = counts.get(n.op_type, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument('--config', choices=['paper', 'small'], default='paper')
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--quick', action='store_true')
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    net = build_network(CONFIGS[args.config])
    gen, c = net.generator, net.config
    out: dict = {'timings': {}, 'max_abs_diff_vs_torch': {}}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {
            'plain': export(gen, c, Path(tmp) / 'plain.onnx'),
            'folded': export(fold_only(gen), c, Path(tmp) / 'folded.onnx'),
            'bundle': export(rewrite_for_onnx(gen), c, Path(tmp) / 'bundle.onnx'),
        }
        t = args.threads
        sessions = {
            'plain': session(paths['plain'], t),
            'plain_no_spin': session(paths['plain'], t, spin=False),
            'plain_extended': session(paths['plain'], t, 'extended'),
            'plain_1_thread': session(paths['plain'], 1),
            'folded': session(paths['folded'], t),
            'bundle': session(paths['bundle'], t),
            'bundle_no_spin': session(paths['bundle'], t, spin=False),
            'bundle_extended': session(paths['bundle'], t, 'extended'),
        }
        for n in (1, 32):
            cond, noise = generator_inputs(c.condition_dim, c.pred_horizon, c.action_dim, n)
            feeds = {'condition': cond, 'noise': noise}
            ct, nt = torch.from_numpy(cond), torch.from_numpy(noise)
            with torch.inference_mode():
                ref = gen(ct, nt).numpy()
            for name in ('plain', 'folded', 'bundle'):
                out['max_abs_diff_vs_torch'][f'{name}_n{n}'] = float(
                    np.abs(sessions[name].run(None, feeds)[0] - ref).max()
                )
            cases = {k: (lambda s=s, feeds=feeds: s.run(None, feeds)) for k, s in sessions.items()}

            def eager(ct=ct, nt=nt):
                with torch.inference_mode():
                    return gen(ct, nt)

            cases['torch_eager'] = eager
            rounds = 2 if args.quick else 4
            stats = measure_interleaved(cases, rounds, 2 if n == 32 else 5)
            out['timings'][f'n{n}'] = {k: round(v['p50_ms'], 1) for k, v in stats.items()}
            print(f'N={n} p50 ms: {out["timings"][f"n{n}"]}', file=sys.stderr)
        feeds32 = dict(
            zip(
                ('condition', 'noise'),
                generator_inputs(c.condition_dim, c.pred_horizon, c.action_dim, 32),
            )
        )
        out['kernel_ms_per_call_n32'] = {
            k: kernel_profile(paths[k], t, feeds32) for k in ('plain', 'bundle')
        }
        out['optimized_ops'] = {k: optimized_ops(paths[k], t) for k in ('plain', 'bundle')}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
