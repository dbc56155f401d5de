# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The deployment runtime: numpy + onnxruntime only (OpenCV lazily for frame preprocessing).

Bundle loading and validation, ONNX Runtime sessions, sampling and consistency selection.
Importing it must never pull in torch, onnx or rclpy, so a deploy host needs neither.
"""

from .bundle import load_bundle, PolicyBundle, SUPPORTED_OPSETS
from .consistency import (
    aligned_reference,
    choose,
    reference_due,
    select_closest,
    select_with_reference,
)
from .normalization import MinMaxStats
from .policy import NonFiniteOutputError, OnnxPolicy, PolicyOutput
from .policy_spec import BundleError, CameraSpec, PolicySpec, TrainingInfo
from .preprocess import prepare_frame
from .sessions import create_session

__all__ = [
    'BundleError',
    'CameraSpec',
    'MinMaxStats',
    'NonFiniteOutputError',
    'OnnxPolicy',
    'PolicyBundle',
    'PolicyOutput',
    'PolicySpec',
    'SUPPORTED_OPSETS',
    'TrainingInfo',
    'aligned_reference',
    'choose',
    'create_session',
    'load_bundle',
    'prepare_frame',
    'reference_due',
    'select_closest',
    'select_with_reference',
]
