# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ONNX Runtime sessions for each benchmarked execution provider and precision.

cpu fp32 is what the runtime builds (runtime.sessions.session_options). On a GPU host,
`--providers cuda tensorrt` adds CUDA and TensorRT, each in fp32 and fp16: CUDA fp16 runs
an fp16 copy of the model (exported with fp32 inputs and outputs); TensorRT fp16 runs
the fp32 model with TensorRT's fp16 kernels allowed. A provider that this onnxruntime
build lacks, or that falls back to the CPU when the session is built, is skipped with
the reason, so a CPU-only machine runs the same command and says what it did not measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import onnxruntime as ort

from ..runtime.sessions import CPU, session_options

FULL_NAMES = {'cpu': CPU, 'cuda': 'CUDAExecutionProvider', 'tensorrt': 'TensorrtExecutionProvider'}
PRECISIONS = {'cpu': ('fp32',), 'cuda': ('fp32', 'fp16'), 'tensorrt': ('fp32', 'fp16')}


@dataclass(frozen=True)
class Target:
    provider: str  # cpu | cuda | tensorrt
    precision: str  # fp32 | fp16

    @property
    def label(self) -> str:
        return f'ort-{self.provider}-{self.precision}'


def targets(providers: list[str]) -> list[Target]:
    out = [Target('cpu', 'fp32')]  # always: the baseline every ratio refers to
    for p in providers:
        if p not in FULL_NAMES:
            raise ValueError(f'unknown provider {p!r}; choose from {sorted(FULL_NAMES)}')
        out += [Target(p, prec) for prec in PRECISIONS[p] if Target(p, prec) not in out]
    return out


def unavailable_reason(target: Target) -> str | None:
    full = FULL_NAMES[target.provider]
    available = ort.get_available_providers()
    if full not in available:
        return (
            f'{full} is not in this onnxruntime build (available: {", ".join(available)}); '
            f'install onnxruntime-gpu on a machine with a GPU to measure it'
        )
    return None


def _shape_list(shapes: dict[str, tuple]) -> str:
    return ','.join(f'{name}:{"x".join(str(d) for d in dims)}' for name, dims in shapes.items())


def open_session(
    target: Target,
    fp32_path: Path,
    fp16_path: Callable[[], Path],
    threads: int,
    batch_shapes: Callable[[int], dict],
    max_batch: int,
    cache_dir: Path,
    allow_spinning: bool = False,
) -> ort.InferenceSession:
    """
    Open a session on `target`; raise RuntimeError if ORT put it on another provider.

    batch_shapes(n) -> {input name: shape} at batch n, for TensorRT's optimization profile
    (batch 1 to max_batch); fp16_path() exports the fp16 model on first use.
    """
    options = session_options(threads, allow_spinning)
    if target.provider == 'cpu':
        return ort.InferenceSession(str(fp32_path), options, providers=[CPU])
    path = fp16_path() if (target.provider, target.precision) == ('cuda', 'fp16') else fp32_path
    chain: list = []
    if target.provider == 'tensorrt':
        cache_dir.mkdir(parents=True, exist_ok=True)
        chain.append(
            (
                FULL_NAMES['tensorrt'],
                {
                    'trt_fp16_enable': target.precision == 'fp16',
                    'trt_engine_cache_enable': True,
                    'trt_engine_cache_path': str(cache_dir),
                    'trt_profile_min_shapes': _shape_list(batch_shapes(1)),
                    'trt_profile_opt_shapes': _shape_list(batch_shapes(max_batch)),
                    'trt_profile_max_shapes': _shape_list(batch_shapes(max_batch)),
                },
            )
        )
    chain += [FULL_NAMES['cuda'], CPU]
    session = ort.InferenceSession(str(path), options, providers=chain)
    active = session.get_providers()[0]
    if active != FULL_NAMES[target.provider]:
        raise RuntimeError(
            f'asked for {FULL_NAMES[target.provider]}, ORT runs {active} (its libraries '
            f'did not load)'
        )
    return session
