# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Inference benchmark, kept for the old command: now part of `imle-policy-ros bench`.

    python bench/bench_inference.py [--quick] [--json] [--config paper|small] [--threads T]

runs `imle-policy-ros bench --sections inference encoder_cache` with the same options
(IMLE through the bundle on ONNX Runtime vs torch eager vs DDPM100 / DDIM10, and encoder
caching). The ORT session-option and export-rewrite experiments moved to
bench/investigate_ort.py.
"""

import sys

from imle_policy_ros.cli import main

if __name__ == '__main__':
    sys.exit(main(['bench', '--sections', 'inference', 'encoder_cache', *sys.argv[1:]]))
