# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Studies: demos -> train -> export -> evaluate, end to end, for the figures of EVAL.md.

Each runs the same configs and functions the commands do (no command lines built by
hand), so a figure here is what a user gets from the commands.
"""
