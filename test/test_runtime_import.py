# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The runtime must import on a deploy host without torch, onnx or rclpy."""

from __future__ import annotations

from pathlib import Path
import subprocess
import sys

REPO = Path(__file__).resolve().parents[1]


def test_runtime_import_pulls_in_no_torch_onnx_rclpy():
    code = (
        'import sys, imle_policy_ros.runtime as r; r.load_bundle; '
        "print(','.join(m for m in ('torch', 'onnx', 'rclpy', 'cv2') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, '-c', code], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '', f'imported: {result.stdout.strip()}'
