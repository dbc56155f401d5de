# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Below fp32: the int8 bundle the benchmark times, and the int8 / bf16 matmul rates.

The int8 bundle is the fp32 benchmark bundle through the package's own quantizer
(quantization.int8, the one `quantize` runs), calibrated on random inputs: speed does not
depend on the values, and the benchmark's networks are untrained anyway. The int8 floor
is ONNX Runtime's own int8 GEMM (MatMulInteger, uint8 x int8 -> int32, the kernel family
its QLinearConv uses) on the same threads; bf16 is torch.mm in bfloat16 (oneDNN), recorded
because this CPU has AVX-512 BF16, though no ONNX Runtime provider here runs bf16 layers.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
import tempfile

import numpy as np

from .machine import best_seconds
from ..quantization.int8 import encoder_feeds, generator_feeds, quantize_int8
from ..runtime.bundle import file_sha256
from ..runtime.policy_spec import ENCODER_FILE, GENERATOR_FILE, PolicySpec
from ..runtime.sessions import CPU, session_options

GEMM_SIZE = 2048
EMULATED_BF16_GMACS = 5.0  # below this, bf16 has no hardware behind it


def write_int8_bundle(fp32_dir: Path, directory: Path, seed: int = 0) -> Path:
    """Quantize the benchmark bundle in `fp32_dir` into `directory` (random calibration)."""
    spec = PolicySpec.read(fp32_dir)
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    h, w = spec.cameras[0].model_input_hw
    frames = rng.integers(0, 256, (16, 1, 1, h, w, 3), dtype=np.uint8)
    conditions = rng.standard_normal((16, spec.condition_dim), dtype=np.float32)
    quantize_int8(fp32_dir / ENCODER_FILE, directory / ENCODER_FILE, encoder_feeds(frames, 8))
    feeds = generator_feeds(conditions, (spec.pred_horizon, spec.action_dim), 8, seed)
    quantize_int8(fp32_dir / GENERATOR_FILE, directory / GENERATOR_FILE, feeds)
    hashes = {n: file_sha256(directory / n) for n in (ENCODER_FILE, GENERATOR_FILE)}
    replace(
        spec,
        precision='int8',
        file_sha256=hashes,
        quantization={'calibration_source': 'random inputs (benchmark: speed only)'},
    ).write(directory)
    return directory


def _best_seconds(fn, repeats: int) -> float:
    fn()  # first call: session and kernel set-up, not the rate
    return best_seconds(fn, repeats)


def int8_gemm_rate(threads: int, repeats: int = 5) -> float:
    """Return ONNX Runtime's int8 GEMM rate on this CPU, GMAC/s (best of `repeats`)."""
    import onnx
    from onnx import helper, TensorProto
    import onnxruntime as ort

    n = GEMM_SIZE
    graph = helper.make_graph(
        [helper.make_node('MatMulInteger', ['a', 'b'], ['c'])],
        'int8_gemm',
        [
            helper.make_tensor_value_info('a', TensorProto.UINT8, [n, n]),
            helper.make_tensor_value_info('b', TensorProto.INT8, [n, n]),
        ],
        [helper.make_tensor_value_info('c', TensorProto.INT32, [n, n])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / 'gemm.onnx'
        onnx.save(model, str(path))
        session = ort.InferenceSession(
            str(path), session_options(threads, allow_spinning=False), providers=[CPU]
        )
    rng = np.random.default_rng(0)
    feeds = {
        'a': rng.integers(0, 256, (n, n), dtype=np.uint8),
        'b': rng.integers(-128, 128, (n, n), dtype=np.int8),
    }
    seconds = _best_seconds(lambda: session.run(None, feeds), repeats)
    return round(n**3 / seconds / 1e9, 1)


def bf16_gemm_rate(threads: int, repeats: int = 5) -> float:
    """
    Return torch's bf16 GEMM rate on this CPU, GMAC/s (best of `repeats`).

    A CPU without AVX-512 BF16 emulates it at well under 1 GMAC/s, where 2048^3 would take
    minutes: a 256^3 probe decides whether the full size is worth timing.
    """
    import torch

    from .timing import torch_threads

    def rate(size: int, count: int) -> float:
        a, b = torch.randn(size, size).bfloat16(), torch.randn(size, size).bfloat16()
        with torch_threads(threads):
            return size**3 / _best_seconds(lambda: torch.mm(a, b), count) / 1e9

    probe = rate(256, 1)
    return round(probe if probe < EMULATED_BF16_GMACS else rate(GEMM_SIZE, repeats), 2)


def cpu_rates(threads: int, repeats: int) -> dict:
    """Return the fp32 GEMM and copy rates, plus the int8 (ORT) and bf16 (torch) GEMM rates."""
    from .machine import measured_rates

    return {
        **measured_rates(threads, repeats),
        'gemm_gmacs_per_s_int8': int8_gemm_rate(threads, repeats),
        'gemm_gmacs_per_s_bf16': bf16_gemm_rate(threads, repeats),
    }


def onnx_bytes(directory: Path) -> int:
    """Return the bytes of a bundle's two networks on disk (nearly all of it weights)."""
    return sum((directory / name).stat().st_size for name in (ENCODER_FILE, GENERATOR_FILE))
