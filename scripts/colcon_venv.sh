#!/usr/bin/env bash
# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
# Puts colcon in its own virtual environment, .colcon-venv/ at the repository root, and
# prints the path of the colcon executable (test/test_colcon_layout.py finds it there).
#
# Why a separate venv: colcon-common-extensions pins setuptools<80 (its --symlink-install
# breaks with newer setuptools), which must not leak into the project's .venv. colcon needs
# no ROS install to build this package: missing ROS dependencies are only reported.
#
# Idempotent: a second run reuses the venv and only installs what is missing.
# Usage: bash scripts/colcon_venv.sh [--quiet]    (PYTHON=python3.x to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=()
if [ "${1:-}" = "--quiet" ] || [ "${1:-}" = "-q" ]; then
  quiet=(-qq)  # errors only: -q still prints warnings (e.g. missing find-links folders)
fi

venv=.colcon-venv
python=${PYTHON:-python3}

# A venv left half-made (no interpreter) by an interrupted run is rebuilt.
if [ ! -x "$venv/bin/python" ]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi

if ! "$venv/bin/python" -c "import colcon_core, colcon_ros" >/dev/null 2>&1 \
    || [ ! -x "$venv/bin/colcon" ]; then
  "$venv/bin/python" -m pip install "${quiet[@]}" --disable-pip-version-check \
    colcon-common-extensions
fi

echo "$(pwd)/$venv/bin/colcon"
