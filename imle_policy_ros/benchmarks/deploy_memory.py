# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Peak resident memory of a deploy process: the runtime alone, in a fresh interpreter.

`python -m imle_policy_ros.benchmarks.deploy_memory BUNDLE N THREADS` does what the
policy node does with a bundle, minus ROS: load_bundle (validation, both sessions, test
inference), encode obs_horizon frames, then `act` with N samples a few times; it prints
one JSON line with the peak RSS (VmHWM) after each stage, and the RSS (VmRSS) after the
load and after the acts: a peak well above the RSS after it is memory that was held only
while loading (e.g. a second copy of the weights), not by the running policy. It imports
numpy and onnxruntime only (as a deploy host without torch would), so the figure is not
inflated by torch. The ROS policy node's own peak is taken in the control-loop section.
"""

from __future__ import annotations

import json
from pathlib import Path
import subprocess
import sys


def status_mib(pid: int | str = 'self') -> dict:
    """Return VmRSS and VmHWM (peak) of a process, MiB, from /proc (Linux)."""
    out = {}
    for line in Path(f'/proc/{pid}/status').read_text().splitlines():
        key = line.split(':', 1)[0]
        if key in ('VmRSS', 'VmHWM'):
            out[key] = int(line.split()[1]) / 1024
    return out


def _child(bundle: str, n: int, threads: int) -> dict:
    import numpy as np

    from ..runtime import load_bundle, OnnxPolicy

    out = {'after_imports': status_mib()['VmHWM']}
    b = load_bundle(bundle, providers=['cpu'], intra_op_threads=threads)
    mem = status_mib()
    out['after_load'], out['rss_after_load'] = mem['VmHWM'], mem['VmRSS']
    policy = OnnxPolicy(b, seed=0)
    spec = b.spec
    rng = np.random.default_rng(0)
    cam = spec.cameras[0]
    frames = [
        rng.integers(0, 256, (cam.height, cam.width, 3), dtype=np.uint8)
        for _ in range(spec.obs_horizon)
    ]
    features = policy.encode_batch(frames, [0] * spec.obs_horizon).reshape(spec.obs_horizon, 1, -1)
    joints = np.zeros((spec.obs_horizon, spec.state_dim), np.float32)
    for _ in range(5):
        policy.act(features, joints, n)
    mem = status_mib()
    out['peak'], out['rss_after_acts'] = mem['VmHWM'], mem['VmRSS']
    out['torch_imported'] = 'torch' in sys.modules
    return out


def _report_key(key: str) -> str:
    if key.startswith('rss_'):
        return f'rss_mib_{key[len("rss_") :]}'  # rss_mib_after_load, rss_mib_after_acts
    return key if key == 'torch_imported' else f'peak_rss_mib_{key}'


def measure_deploy_process(bundle: Path, n: int, threads: int, timeout: float = 300.0) -> dict:
    """
    Run the deploy process in a fresh interpreter; return its memory figures (MiB).

    peak_rss_mib_{after_imports, after_load, peak}: VmHWM after each stage;
    rss_mib_{after_load, after_acts}: VmRSS then; torch_imported: whether torch came in.
    """
    proc = subprocess.run(
        [sys.executable, '-m', __name__, str(bundle), str(n), str(threads)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode != 0:
        raise RuntimeError(f'deploy process failed ({proc.returncode}): {proc.stderr[-2000:]}')
    return {_report_key(k): v for k, v in json.loads(proc.stdout.strip().splitlines()[-1]).items()}


if __name__ == '__main__':
    print(json.dumps(_child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
