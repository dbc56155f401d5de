# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The control loop over loopback: simulator and policy node as separate ROS 2 processes.

While the bundled model drives the simulated arm at 100 Hz (config/sim.yaml: inference
running, N = 32), it measures:
  control period jitter   |period - 10 ms| of the node's own ticks (its RateMeter, read from
                          /diagnostics) and of the commands' arrival at a subscriber (adds
                          the transport: what a ros2_control controller would see)
  image-to-command        arrival of each new chunk on ~/predicted_trajectory (published
                          by the control tick that starts executing it) minus the stamp of
                          the camera frame it was computed from
  model switch            (switches > 0) the longest gap between arriving commands, and
                          between the node's ticks, while model_path is switched between two
                          copies of the bundled model through the parameter service
  memory                  the policy node process's peak resident memory (VmHWM)
Anchor (anchor=True, right after the window, the stack still running): a bare rclpy timer
at 100 Hz under a SingleThreadedExecutor with the same subscriptions and no work, the
floor of what Python + rclpy give on this machine under the same load.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from .deploy_memory import status_mib
from ..resources import resolve_model_path

PERIOD = 0.01

ANCHOR = r"""
import sys, time, numpy as np, rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image, JointState
rclpy.init()
node = rclpy.create_node("anchor_timer")
ticks = []
node.create_timer(0.01, lambda: ticks.append(time.monotonic()))
node.create_subscription(Image, "/camera/top/image_raw", lambda m: None, qos_profile_sensor_data)
node.create_subscription(JointState, "/joint_states", lambda m: None, qos_profile_sensor_data)
executor = SingleThreadedExecutor(); executor.add_node(node)
end = time.monotonic() + float(sys.argv[1])
while time.monotonic() < end:
    executor.spin_once(timeout_sec=0.05)
d = np.abs(np.diff(ticks[20:]) - 0.01) * 1e3
print(f"{np.percentile(d, 50):.4f} {np.percentile(d, 99):.4f} {d.max():.4f}")
"""


def percentiles(values_ms) -> dict:
    v = np.asarray(values_ms, dtype=np.float64)
    if v.size == 0:
        return {'p50': float('nan'), 'p99': float('nan'), 'max': float('nan'), 'n': 0}
    return {
        'p50': float(np.percentile(v, 50)),
        'p99': float(np.percentile(v, 99)),
        'max': float(v.max()),
        'n': int(v.size),
    }


def ros_unavailable_reason() -> str | None:
    from ..errors import Refusal
    from ..ros import require_rclpy

    try:
        require_rclpy()
    except Refusal as exc:
        return str(exc)
    return None


def measure(seconds: float, switches: int, anchor: bool = True, window_s: float = 5.0) -> dict:
    """
    Run the stack; measure `seconds` (in windows of window_s), then the anchor and the switches.

    Returns {"steady", "switch" (if switches), "policy_node_memory_mib"}.
    """
    from ..ros.harness.stack_probe import new_domain_id, NodeProcess, Probe, SIM_CONFIG

    logs = Path(tempfile.mkdtemp(prefix='bench_ros_loop_'))
    domain = new_domain_id()
    sim = NodeProcess(
        'imle_policy_ros.ros.sim_robot_node',
        ['--params-file', str(SIM_CONFIG)],
        domain,
        logs / 'sim.log',
    )
    policy = NodeProcess(
        'imle_policy_ros.ros.policy_node',
        ['--params-file', str(SIM_CONFIG)],
        domain,
        logs / 'policy.log',
    )
    probe = Probe(domain)
    try:
        t_start = time.monotonic()
        probe.wait_for(lambda p: p.status and len(p.commands) > 50, 60, 'the stack to run')
        startup_s = time.monotonic() - t_start
        t0, wall0 = time.monotonic(), time.time()
        node_jitter = []  # the node's p99 over its last ticks, sampled every window
        while time.monotonic() < t0 + seconds:
            time.sleep(min(window_s, max(0.5, t0 + seconds - time.monotonic())))
            node_jitter.append(float(probe.policy_diagnostics()['control_jitter_ms_p99']))
        diagnostics = probe.policy_diagnostics()
        arrivals = np.array([c[0] for c in probe.commands_since(t0)])
        latency_ms = [(r - s) * 1e3 for r, s in probe.predictions if r >= wall0]
        steady = {
            'seconds': seconds,
            'stack_startup_s': round(startup_s, 1),
            'node_jitter_ms_p99': max(node_jitter),  # the worst window
            'node_jitter_ms_p99_median_window': float(np.median(node_jitter)),
            'node_control_rate_hz': float(diagnostics['control_rate_hz']),
            'arrival_jitter_ms': percentiles(np.abs(np.diff(arrivals) - PERIOD) * 1e3),
            'image_to_command_ms': percentiles(latency_ms),
            'inference_ms_last': float(diagnostics['inference_ms']),
            'episodes_done': probe.status.get('episode'),
        }
        if anchor:
            # After the window, not during it: it adds no load to what it is compared with.
            run = subprocess.run(
                [sys.executable, '-c', ANCHOR, str(min(seconds, 20.0))],
                capture_output=True,
                text=True,
                env=dict(os.environ, ROS_DOMAIN_ID=str(domain)),
                timeout=120,
            )
            p50, p99, worst = (float(x) for x in run.stdout.split()[-3:])
            steady['anchor_bare_timer_jitter_ms'] = {'p50': p50, 'p99': p99, 'max': worst}
        result = {'steady': steady}
        if switches > 0:
            result['switch'] = _switches(probe, switches, logs)
        result['policy_node_memory_mib'] = status_mib(policy.proc.pid)
        return result
    finally:
        probe.close()
        policy.stop()
        sim.stop()
        shutil.rmtree(logs, ignore_errors=True)


def _switches(probe, switches: int, logs: Path) -> dict:
    copies = []
    for name in ('a', 'b'):
        copies.append(logs / f'model_{name}')
        shutil.copytree(resolve_model_path('models/reach_default'), copies[-1])
    t_switch = time.monotonic()
    node_gaps, refused = [], 0
    for i in range(switches):
        model = str(copies[i % 2])
        result = probe.set_parameters('/imle_policy', {'model_path': model})[0]
        refused += not result.successful
        probe.wait_for(
            lambda p, model=model: p.policy_diagnostics().get('active_model') == model,
            10,
            'the switch',
        )
        time.sleep(1.1)  # one diagnostics period: the node's longest gap covers the switch
        node_gaps.append(float(probe.policy_diagnostics()['control_longest_gap_ms']))
    arrivals = np.array([c[0] for c in probe.commands_since(t_switch)])
    return {
        'switches': switches,
        'refused': refused,
        'arrival_longest_gap_ms': float(np.diff(arrivals).max() * 1e3),
        'node_longest_gap_ms': max(node_gaps),
        'model_switches_reported': int(probe.policy_diagnostics()['model_switches']),
    }


def add_section(report: dict, settings) -> None:
    """Add the control-loop figures to the report (skipped, with the reason, without rclpy)."""
    reason = ros_unavailable_reason()
    if reason:
        report['skipped']['control_loop'] = reason
        return
    loop = measure(settings.loop_seconds, settings.loop_switches, anchor=settings.loop_anchor)
    loop['what'] = (
        'config/sim.yaml: sim_robot_node + policy_node as separate processes on loopback, '
        'the bundled model (models/reach_default) at N = 32, 100 Hz control, 30 Hz camera'
    )
    report['control_loop'] = loop
    mem = loop.get('policy_node_memory_mib', {})
    if mem:
        report.setdefault('memory', {})['policy_node'] = {
            'what': 'policy_node process (rclpy + runtime) in the control-loop run, bundled model',
            'peak_rss_mib': mem.get('VmHWM'),
            'rss_mib': mem.get('VmRSS'),
        }
