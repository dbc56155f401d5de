# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros bench`: inference, encoder caching, training, memory, control loop, floor.

Top layer (like evaluation/): it builds networks with torch, exports them with
learning.export, runs them through runtime/ and ros/. `cli.add_bench_parser` is the only
entry the package CLI imports, and it imports nothing heavy.
"""
