# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Where the package's shared files (models/, config/, launch/) are on this host.

Three ways the package gets installed, three places: a colcon install (found through the
ament index), `pip install .` (data_files under `<prefix>/share/imle_policy_ros`), and a
source checkout (`pip install -e .`, files beside the package). A relative model path is
looked up in the working directory first, so `model_path: models/my_task` means what a
user at the shell expects.
"""

from __future__ import annotations

from pathlib import Path
import sys

PACKAGE = 'imle_policy_ros'


def share_directories() -> list[Path]:
    """Candidate share folders, most specific first (only those that exist)."""
    found = []
    try:
        from ament_index_python.packages import get_package_share_directory

        found.append(Path(get_package_share_directory(PACKAGE)))
    except Exception:  # no ament index (pip host), or the package is not in it
        pass
    found.append(Path(sys.prefix) / 'share' / PACKAGE)
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / 'package.xml').is_file():
        found.append(checkout)
    return [d for d in found if d.is_dir()]


def find_shared_file(relative: str | Path) -> Path | None:
    for directory in share_directories():
        candidate = directory / relative
        if candidate.exists():
            return candidate
    return None


def resolve_model_path(value: str | Path) -> Path:
    """
    Resolve a model bundle's path.

    An existing absolute path as is; a relative one in the working directory, then in the
    package's share folder (`models/x`) and its models/ (`x`). Unfound: returned unchanged,
    so the bundle loader reports it with its own message.
    """
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return path
    for candidate in (path, Path('models') / path):
        shared = find_shared_file(candidate)
        if shared is not None:
            return shared
    return path


def resolve_config_path(value: str | Path) -> Path:
    """Resolve a config YAML: as given if it exists, else from the package's config/."""
    path = Path(value).expanduser()
    if path.exists():
        return path
    for candidate in (path, Path('config') / path.name):
        shared = find_shared_file(candidate)
        if shared is not None:
            return shared
    raise FileNotFoundError(
        f'config file {value} not found (looked in the working directory and in the '
        f"package's config/: {[str(d / 'config') for d in share_directories()]})"
    )
