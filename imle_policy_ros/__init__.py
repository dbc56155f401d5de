# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
IMLE Policy for ROS 2 arms: train from demonstrations, export to ONNX, deploy at control rate.

Layers (imports point down): ros -> control -> runtime; learning -> runtime (its bundle
format only) and data; sim and data stand alone. `runtime` needs numpy + onnxruntime only.
"""

__version__ = '0.1.0'
