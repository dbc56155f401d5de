#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# The lint gate (CI runs it before the tests): ruff's linter and formatter check, the real
# ament linters with their default configuration, and mypy on the layers that decide what
# the arm does. With paths, only those are checked (ruff and ament); mypy always runs.
# Usage: bash scripts/lint.sh [PATH...]
set -uo pipefail
cd "$(dirname "$0")/.."
paths=("$@")
if [ ${#paths[@]} -eq 0 ]; then
  paths=(imle_policy_ros test launch examples bench scripts setup.py)
fi
status=0
ruff check --quiet "${paths[@]}" || status=1
ruff format --check --quiet "${paths[@]}" || { echo "ruff format would change the files above"; status=1; }
python -c "import sys; from ament_flake8.main import main; sys.exit(main(sys.argv[1:]))" \
  "${paths[@]}" >/tmp/ament_flake8.$$ 2>&1 || { grep -v '^checking\|^\* ' /tmp/ament_flake8.$$; status=1; }
python -c "import sys; from ament_pep257.main import main; sys.exit(main(sys.argv[1:]))" \
  "${paths[@]}" >/tmp/ament_pep257.$$ 2>&1 || { grep -v '^checking' /tmp/ament_pep257.$$; status=1; }
rm -f /tmp/ament_flake8.$$ /tmp/ament_pep257.$$
mypy || status=1
exit "$status"
