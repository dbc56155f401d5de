# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The harness: the nodes driven and judged from outside, in processes of their own.

stack_probe starts nodes as processes and talks to them like any ROS client; fault_stack
and fault_injector break the simulated stack the ways a real one breaks; safety_recorder
judges every command it publishes (control/safety_invariants.py), and cartesian_recorder
(with cartesian_judges) every end-effector one (control/cartesian_invariants.py); soak
runs all of that for minutes (`imle-policy-ros soak`). The end-to-end tests, the fault
tests and the loopback benchmark use it. No node imports it.
"""
