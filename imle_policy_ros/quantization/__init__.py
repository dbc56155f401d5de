# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Bundles below fp32: int8 (ONNX Runtime static quantization) and fp16, with a quality gate.

`quantize` turns an fp32 bundle into one of another precision, calibrated on real inputs
(a dataset's frames and states, or the built-in simulator's), and keeps it only if its
actions stay close to the fp32 bundle's on held-out observations and, for the built-in
simulator's models, its closed-loop success stays with the fp32 one's on the same scenes.
It sits above learning and evaluation (it needs onnx and the closed loop); the runtime
only reads the precision a bundle declares.
"""
