# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
fp16 networks for GPU providers, with the bundle's fp32 inputs and outputs; bf16 refused.

The weights and the arithmetic become fp16; the graph's inputs and outputs stay as the
bundle contract has them (uint8 image, fp32 condition, noise, features and actions), so
the runtime feeds an fp16 bundle exactly as an fp32 one. Normalization layers keep fp32
(ONNX Runtime's converter leaves the ops it lists as unsafe in fp32).
"""

from __future__ import annotations

from pathlib import Path

from ..errors import Refusal

BF16_REFUSAL = (
    'bf16 is not offered: onnxruntime 1.32 has no bf16 kernels for Conv or Gemm on any '
    'provider this package runs (its CPU provider would cast every layer back to fp32, and '
    'TensorRT chooses its own precisions); use int8 on a CPU or fp16 on a GPU'
)


class PrecisionRefused(Refusal, ValueError):
    """A precision this package does not write, with the reason."""


def convert_fp16(source: Path, output: Path) -> Path:
    """Write the fp16 form of the fp32 model `source` to `output` (fp32 inputs and outputs)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    model = onnx.load(str(source))
    onnx.save(convert_float_to_float16(model, keep_io_types=True), str(output))
    return output
