# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros soak` as a user runs it.

Half a minute of the simulated loop through the ROS 2 nodes with random faults (seed 5
starts with a robot restart, then a bad model switch and a joint state without a
commanded joint), judged by the safety invariants.
"""

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip('rclpy')
pytestmark = [pytest.mark.ros, pytest.mark.slow]

KEYS = (
    'safety_violations',
    'missed_deadlines',
    'jitter_p99_ms',
    'rss_growth_mb',
    'faults_injected',
    'episodes_completed',
    'episodes_succeeded',
    'recoveries_failed',
)


def test_half_a_minute_soak_reports_no_safety_violation(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            '-m',
            'imle_policy_ros.cli',
            'soak',
            '--minutes',
            '0.5',
            '--seed',
            '5',
            '--json',
            '--workdir',
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=400,
        env=dict(os.environ, PYTHONUNBUFFERED='1'),
    )
    assert result.stdout.strip(), result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert all(key in report for key in KEYS), sorted(report)
    assert report['safety_violations'] == 0, report['violations']
    assert result.returncode == 0
    assert (
        report['faults_injected'].get('robot_restart') == 1
        and sum(report['faults_injected'].values()) >= 3
    )
    assert report['recoveries_failed'] == 0, report['injection_errors']
    assert report['commands_checked'] > 500 and report['node_exit_codes'] == [0, 0]
    assert report['missed_deadlines'] >= 0 and report['jitter_p99_ms'] >= 0
