# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""A node started in a process of its own, on its own domain, its log kept for the test."""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys


@contextlib.contextmanager
def node_processes(tmp_path, runner: str):
    """
    Yield start(*ros_args, **env) -> (Popen, domain_id, log file) for the script `runner`.

    Every process still running at the end is killed and its log closed.
    """
    script = tmp_path / 'runner.py'
    script.write_text(runner)
    processes = []

    def start(*ros_args: str, **extra_env: str):
        domain_id = random.randint(1, 100)
        env = dict(os.environ, ROS_DOMAIN_ID=str(domain_id), **extra_env)
        log = open(tmp_path / f'node{len(processes)}.log', 'w+')
        process = subprocess.Popen(
            [sys.executable, str(script), '--ros-args', *ros_args],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        return process, domain_id, log

    try:
        yield start
    finally:
        for process, log in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            log.close()


def output_of(log) -> str:
    """Return what a node process has logged so far."""
    log.flush()
    log.seek(0)
    return log.read()
