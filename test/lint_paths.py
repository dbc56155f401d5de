# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""The Python sources of this package that the linters check (absolute paths)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Everything that is ours and Python; virtual environments and colcon's output are not.
LINTED = ('imle_policy_ros', 'test', 'launch', 'examples', 'bench', 'scripts', 'setup.py')


def lint_paths() -> list[str]:
    return [str(ROOT / p) for p in LINTED if (ROOT / p).exists()]


def python_files() -> list[Path]:
    files = []
    for path in map(Path, lint_paths()):
        files += [path] if path.is_file() else sorted(path.rglob('*.py'))
    return [f for f in files if '__pycache__' not in f.parts]
