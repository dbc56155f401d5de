#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# The test command of README.md: the default suite (minutes on 2 cores). Long training and
# benchmarks live behind their own commands (see README).
set -uo pipefail
cd "$(dirname "$0")/.."
# Tests marked long (minutes of training each) are left out; `bash scripts/test.sh -m long`
# runs them (a later -m wins), and CI runs both.
python -m pytest -q test -m 'not long' "$@"
status=$?
# pytest exits 5 when it collected no test: that is a failure to report, not a pass.
if [ "$status" -eq 5 ]; then
  echo "no tests were collected" >&2
fi
exit "$status"
