# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ONNX Runtime sessions with an ordered execution-provider fallback.

A robot config names the providers it would like, best first (e.g. tensorrt, cuda, cpu).
The same config must still start on a laptop without a GPU, so a provider that is not
installed, or whose libraries fail to load when the session is built, is skipped with a
warning instead of stopping the node. Which provider actually runs is returned, so the
node can report it (diagnostics) rather than the user finding out from latency.

Memory: a deploy process should hold the weights about once. Two things made its peak
twice the weight bytes (paper bundle: 711 MiB peak RSS for 332 MiB of weights; 426 MiB now)
and both are handled here. ORT_ENABLE_ALL's NCHWc transformer writes a reordered copy of
every Conv weight while the originals stay in the graph until the pass ends, so a model
briefly holds its conv weights twice; large models skip it (NCHWC_MAX_MODEL_BYTES). And
glibc's malloc, once a large block is freed, raises its mmap threshold to that size, so the
load's freed buffers stay in the heap and count as resident; a fixed threshold hands them
back to the system instead (_MMAP_THRESHOLD_BYTES). Loading from bytes instead of the path
only adds a copy (the Python bytes), and the arena, memory-pattern and prepacking options
do not change the peak (measured).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
import logging
import os
import sys
import threading
from typing import Sequence

import onnxruntime as ort

from ..settings import check_settings, setting

_LOG = logging.getLogger(__name__)

CPU = 'CPUExecutionProvider'

# ORT_ENABLE_ALL's CPU layout transformer: Conv -> NchwcConv with weights reordered into MLAS's
# blocked layout. It keeps each original weight next to its reordered copy until the pass
# ends, so while loading, the model's conv weights are held twice. Measured (paper bundle,
# 2 threads, paired runs): the ResNet-18 encoder (43 MiB) runs 12-15% faster with it, and
# its extra peak (+60 MiB) stays below the generator's load peak, so it keeps it; the
# generator (1-D convs, 290 MiB) costs 240 MiB more peak with it, and without it runs the
# same at N >= 8 (N=32 within 2%), 11% slower at N=2 and 25% slower at N=1 (37 -> 47 ms,
# the chunk chosen without a reference). Models above this size skip it; nchwc=True trades
# the memory back for that N=1 time.
NCHWC_TRANSFORMER = 'NchwcTransformer'
NCHWC_MAX_MODEL_BYTES = 64 << 20

# glibc's malloc serves blocks above M_MMAP_THRESHOLD with their own mmap, unmapped on free.
# Freeing such a block raises the threshold to its size (up to 32 MiB), after which a model
# load's many weight-sized buffers come from the heap, and the freed ones (protobuf copies,
# replaced initializers) stay resident. Setting the threshold fixes it (and ends the
# raising). Paper bundle's deploy process: 457 -> 426 MiB peak; with NCHWc on everywhere,
# 681 -> 410 MiB resident after the load. 1 MiB keeps smaller blocks (images, per-run
# arrays) in the heap; ORT's arena keeps its blocks, so runs are unaffected (measured).
_M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
_MMAP_THRESHOLD_BYTES = 1 << 20
_malloc_lock = threading.Lock()
_malloc_tuned = False

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


def session_options(
    intra_op_threads: int = 0, allow_spinning: bool = True, nchwc: bool = True
) -> ort.SessionOptions:
    """
    Return ORT session options: full graph optimization, the given threads.

    allow_spinning=False: ORT's worker threads sleep between runs instead of busy-waiting
    for the next one. Slightly slower per run on an idle machine, but on a robot computer
    where the control loop shares the cores, spinning workers starve it.
    nchwc=False: every optimization but the NCHWc layout transformer (see
    NCHWC_TRANSFORMER); create_session decides it from the model's size (uses_nchwc).
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
    if not nchwc:
        # A session option rather than InferenceSession(disabled_optimizers=...), so callers
        # that build their own sessions from these options get the same graph.
        options.add_session_config_entry(
            'optimization.disable_specified_optimizers', NCHWC_TRANSFORMER
        )
    return options


def uses_nchwc(model_path: str | os.PathLike) -> bool:
    """Return whether create_session keeps the NCHWc transformer for this model (its size)."""
    try:
        return os.path.getsize(model_path) <= NCHWC_MAX_MODEL_BYTES
    except OSError:
        return True  # no such file: ORT's own error for it is the one to raise


def _return_freed_blocks_to_os() -> None:
    """Fix glibc's mmap threshold once per process (see _MMAP_THRESHOLD_BYTES); best effort."""
    global _malloc_tuned
    with _malloc_lock:
        if _malloc_tuned:
            return
        _malloc_tuned = True
        # The user's own malloc tuning (environment) wins over ours.
        if not sys.platform.startswith('linux') or 'MALLOC_MMAP_THRESHOLD_' in os.environ:
            return
        if 'glibc.malloc.mmap_threshold' in os.environ.get('GLIBC_TUNABLES', ''):
            return
        try:
            libc = ctypes.CDLL(None)  # the C library this process already runs on
        except OSError:
            return
        if not hasattr(libc, 'gnu_get_libc_version'):  # glibc only; musl's malloc differs
            return
        if not libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_BYTES):
            _LOG.debug('mallopt(M_MMAP_THRESHOLD) failed; load peaks may be higher')


def create_session(
    model_path: str | os.PathLike,
    providers: Sequence[str],
    intra_op_threads: int = 0,
    allow_spinning: bool = True,
    nchwc: bool | None = None,
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
    nchwc: keep ORT's NCHWc transformer; None (default) decides by the model's size
    (uses_nchwc): kept for models up to NCHWC_MAX_MODEL_BYTES, skipped above.
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

    path = os.fspath(model_path)
    _return_freed_blocks_to_os()
    options = session_options(
        intra_op_threads, allow_spinning, uses_nchwc(path) if nchwc is None else nchwc
    )
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
