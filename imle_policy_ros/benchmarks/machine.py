# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The machine a benchmark ran on: CPU, GPU, versions, and what its hardware sustains.

Every figure in a report is tagged with a device string from here, so a CPU number is
never read as a GPU one. `measured_rates` gives the two numbers the floor needs: a
sustained fp32 matmul rate (torch.mm 2048^3) and a memory copy bandwidth.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import platform
import subprocess
import time


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def cpu_model() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(['lscpu'], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.startswith('Model name:'):
                return line.split(':', 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_device(threads: int) -> str:
    return f'cpu: {cpu_model()}, {threads} threads of {usable_cores()} cores'


def gpu_name() -> str | None:
    """Return the first GPU's name (torch if it sees CUDA, else nvidia-smi); None without one."""
    with contextlib.suppress(Exception):
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ['nvidia-smi', '--query-gpu=name', '--format=csv,noheader'],
            capture_output=True,
            text=True,
            timeout=10,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().splitlines()[0]
    return None


def machine_info() -> dict:
    mem_gib = None
    with contextlib.suppress(OSError):
        for line in Path('/proc/meminfo').read_text().splitlines():
            if line.startswith('MemTotal:'):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    flags: set = set()
    with contextlib.suppress(OSError):
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('flags'):
                flags = set(line.split(':', 1)[1].split())
                break
    isa = [
        f
        for f in ('avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile')
        if f in flags
    ]
    return {
        'cpu': cpu_model(),
        'cores': usable_cores(),
        'memory_gib': mem_gib,
        'isa': isa,
        'gpu': gpu_name(),
        'kernel': platform.release(),
    }


def versions() -> dict:
    import numpy as np
    import onnxruntime as ort

    out = {
        'python': platform.python_version(),
        'numpy': np.__version__,
        'onnxruntime': ort.__version__,
        'ort_providers': ort.get_available_providers(),
    }
    with contextlib.suppress(ImportError):
        import torch

        out['torch'] = torch.__version__
    with contextlib.suppress(Exception):
        from importlib.metadata import version

        import rclpy  # noqa: F401

        out['rclpy'] = version('ros-jazzy-rclpy')
    return out


def best_seconds(fn, repeats: int) -> float:
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measured_rates(threads: int, repeats: int = 5) -> dict:
    """
    Measure the CPU's fp32 GEMM MAC rate and memory bandwidth.

    The GEMM rate: torch.mm 2048^3 on `threads` threads, best of `repeats`; the bandwidth:
    numpy copy of 256 MiB, read + write bytes, best of `repeats`.
    """
    import numpy as np
    import torch

    from .timing import torch_threads

    size = 2048
    a, b = torch.randn(size, size), torch.randn(size, size)
    with torch_threads(threads):
        torch.mm(a, b)
        mm_s = best_seconds(lambda: torch.mm(a, b), repeats)
    src = np.ones(64 * 2**20, np.float32)  # 256 MiB, far beyond any cache
    dst = np.empty_like(src)
    np.copyto(dst, src)
    copy_s = best_seconds(lambda: np.copyto(dst, src), repeats)
    return {
        'device': cpu_device(threads),
        'gemm_gmacs_per_s': round(size**3 / mm_s / 1e9, 1),
        'copy_gb_per_s': round(2 * src.nbytes / copy_s / 1e9, 1),
    }


def measured_gpu_rates(repeats: int = 5) -> dict | None:
    """
    Measure the same two rates on the first CUDA GPU (fp32, fp16, bf16 matmul; device copy).

    Return None when torch sees no CUDA device.
    """
    import torch

    if not torch.cuda.is_available():
        return None
    size = 8192
    out = {'device': f'gpu: {torch.cuda.get_device_name(0)}'}
    for name, dtype in (
        ('fp32', torch.float32),
        ('fp16', torch.float16),
        ('bf16', torch.bfloat16),
    ):
        a = torch.randn(size, size, device='cuda', dtype=dtype)
        b = torch.randn(size, size, device='cuda', dtype=dtype)
        torch.mm(a, b)
        torch.cuda.synchronize()

        def mm(a=a, b=b):
            torch.mm(a, b)
            torch.cuda.synchronize()

        out[f'gemm_gmacs_per_s_{name}'] = round(size**3 / best_seconds(mm, repeats) / 1e9, 1)
    src = torch.empty(256 * 2**20, dtype=torch.uint8, device='cuda')
    dst = torch.empty_like(src)

    def copy():
        dst.copy_(src)
        torch.cuda.synchronize()

    copy()
    out['copy_gb_per_s'] = round(2 * src.numel() / best_seconds(copy, repeats) / 1e9, 1)
    return out
