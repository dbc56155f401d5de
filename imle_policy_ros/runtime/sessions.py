# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ONNX Runtime sessions with an ordered execution-provider fallback.

A robot config names the providers it would like, best first (e.g. tensorrt, cuda, cpu).
The same config must still start on a laptop without a GPU, so a provider that is not
installed, or whose libraries fail to load when the session is built, is skipped with a
warning instead of stopping the node. Which provider actually runs is returned, so the
node can report it (diagnostics) rather than the user finding out from latency.
"""

from __future__ import annotations

from dataclasses import dataclass
import logging
import os
from typing import Sequence

import onnxruntime as ort

from ..settings import check_settings, setting

_LOG = logging.getLogger(__name__)

CPU = 'CPUExecutionProvider'

# Short names a config may use; full ORT names (ort.get_all_providers()) are accepted too.
SHORT_NAMES = {
    'tensorrt': 'TensorrtExecutionProvider',
    'trt': 'TensorrtExecutionProvider',
    'cuda': 'CUDAExecutionProvider',
    'rocm': 'ROCMExecutionProvider',
    'migraphx': 'MIGraphXExecutionProvider',
    'openvino': 'OpenVINOExecutionProvider',
    'coreml': 'CoreMLExecutionProvider',
    'dml': 'DmlExecutionProvider',
    'cpu': CPU,
}


def _provider_problem(providers: tuple[str, ...]) -> str | None:
    if not providers:
        return 'providers is empty: give at least cpu'
    try:
        for name in providers:
            resolve_provider(name)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class InferenceConfig:
    """Where and on how many threads a bundle runs (node parameters, eval options)."""

    providers: tuple[str, ...] = setting(
        ('cpu',),
        'ONNX Runtime providers in order of preference: tensorrt, cuda, cpu',
        check=_provider_problem,
    )
    inference_threads: int = setting(
        0,
        'ONNX Runtime intra-op threads (0: ONNX Runtime decides)',
        min=0,
        max=64,
        flag='--threads',
    )

    def __post_init__(self) -> None:
        check_settings(self)


def resolve_provider(name: str) -> str:
    """Map a short or full provider name (case-insensitive) to ORT's full name."""
    key = str(name).strip().lower()
    if key in SHORT_NAMES:
        return SHORT_NAMES[key]
    for full in ort.get_all_providers():
        if full.lower() == key:
            return full
    valid = sorted(SHORT_NAMES) + sorted(ort.get_all_providers())
    raise ValueError(f'unknown execution provider {name!r}; valid names: {", ".join(valid)}')


def session_options(intra_op_threads: int = 0, allow_spinning: bool = True) -> ort.SessionOptions:
    """
    Return ORT session options: full graph optimization, the given threads.

    allow_spinning=False: ORT's worker threads sleep between runs instead of busy-waiting
    for the next one. Slightly slower per run on an idle machine, but on a robot computer
    where the control loop shares the cores, spinning workers starve it.
    """
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if intra_op_threads < 0:
        raise ValueError(
            f'intra_op_threads must be >= 0 (0 = ORT default), got {intra_op_threads}'
        )
    options.intra_op_num_threads = int(intra_op_threads)  # 0 lets ORT pick (one per core)
    if not allow_spinning:
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    return options


def create_session(
    model_path: str | os.PathLike,
    providers: Sequence[str],
    intra_op_threads: int = 0,
    allow_spinning: bool = True,
) -> tuple[ort.InferenceSession, str]:
    """
    Build an InferenceSession on the first requested provider that works.

    Each candidate session is given the rest of the requested chain behind it (e.g.
    [TensorRT, CUDA, CPU]) so that nodes the first provider cannot run are placed on the
    next one, as ORT intends. CPU is always the last resort: ORT adds it anyway, and a
    running robot stack is better served by a slow policy plus a warning than by none.

    Returns (session, active provider) where the active provider is what ORT reports it
    actually uses (session.get_providers()[0]), not what was asked for.
    Raises ValueError for an unknown provider name; ORT errors about the model itself
    (e.g. an invalid file) propagate from the CPU attempt.
    """
    if isinstance(providers, str):
        providers = [providers]
    requested = list(dict.fromkeys(resolve_provider(p) for p in providers))  # dedupe, keep order
    if not requested:
        raise ValueError("no execution providers given; use e.g. ['cuda', 'cpu']")
    available = set(ort.get_available_providers())
    chain = [p for p in requested if p in available]
    for missing in (p for p in requested if p not in available):
        _LOG.warning(
            'execution provider %s is not available in this onnxruntime build '
            '(available: %s); skipping it',
            missing,
            ', '.join(sorted(available)),
        )
    if CPU not in chain:
        chain.append(CPU)

    options = session_options(intra_op_threads, allow_spinning)
    path = os.fspath(model_path)
    for i, provider in enumerate(chain):
        try:
            session = ort.InferenceSession(path, sess_options=options, providers=chain[i:])
        except Exception as exc:  # ORT raises assorted types when a provider's libraries fail
            if provider == CPU:
                raise
            _LOG.warning(
                'execution provider %s failed to create a session for %s (%s); falling back to %s',
                provider,
                path,
                exc,
                chain[i + 1],
            )
            continue
        active = session.get_providers()[0]
        if active != requested[0]:
            # Covers both a skipped provider and ORT silently dropping one it could not load.
            _LOG.warning('%s runs on %s, not on the preferred %s', path, active, requested[0])
        return session, active
    raise AssertionError('unreachable: the CPU attempt either returns or raises')
