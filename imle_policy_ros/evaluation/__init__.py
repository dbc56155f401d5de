# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Closed-loop evaluation of a model bundle in the built-in simulator."""
