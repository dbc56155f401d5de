# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The control loop over loopback: the simulator and the policy node as separate processes.

    python bench/bench_ros_loop.py [--seconds 30] [--switches 6] [--json]

What it measures is described in imle_policy_ros/benchmarks/control_loop.py (also run by
`imle-policy-ros bench`). Targets (issue 4): jitter p99 <= 2 ms; no gap above two control
periods (20 ms) during a model switch.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys

from imle_policy_ros.benchmarks.control_loop import measure, PERIOD


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--seconds', type=float, default=30.0)
    parser.add_argument('--switches', type=int, default=6)
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    result = measure(args.seconds, args.switches)
    result['machine'] = {
        'cpu': platform.processor() or platform.machine(),
        'cores': os.cpu_count(),
        'python': platform.python_version(),
        'load_1min_before': load_before,
        'load_1min_after': os.getloadavg()[0],
    }
    s = result['steady']
    result['targets'] = {'jitter_p99_le_2ms': s['node_jitter_ms_p99'] <= 2.0}
    if 'switch' in result:
        result['targets']['switch_gap_le_2_periods'] = (
            result['switch']['node_longest_gap_ms'] <= 2 * PERIOD * 1e3
        )
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f'machine: {result["machine"]}')
    print(
        f'control loop (node ticks): {s["node_control_rate_hz"]:.1f} Hz, '
        f'jitter p99 {s["node_jitter_ms_p99"]:.2f} ms '
        f'(worst 5-s window; median window {s["node_jitter_ms_p99_median_window"]:.2f} ms)'
        f'  (anchor, bare rclpy timer: p99 {s["anchor_bare_timer_jitter_ms"]["p99"]:.2f} ms)'
    )
    a = s['arrival_jitter_ms']
    print(
        f'commands at a subscriber: jitter p50 {a["p50"]:.2f} p99 {a["p99"]:.2f} '
        f'max {a["max"]:.2f} ms (n={a["n"]})'
    )
    lat = s['image_to_command_ms']
    print(f'camera stamp -> command: p50 {lat["p50"]:.1f} p99 {lat["p99"]:.1f} ms (n={lat["n"]})')
    if 'switch' in result:
        w = result['switch']
        print(
            f'model switch x{w["switches"]} ({w["refused"]} refused): longest gap between ticks '
            f'{w["node_longest_gap_ms"]:.1f} ms, '
            f'between arriving commands {w["arrival_longest_gap_ms"]:.1f} ms'
        )
    peak_rss = result['policy_node_memory_mib'].get('VmHWM', float('nan'))
    print(f'policy node peak RSS: {peak_rss:.0f} MiB')
    print(f'targets: {result["targets"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
