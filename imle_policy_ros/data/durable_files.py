# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Directories written all or nothing: what the dataset and the bag demos share.

A writer builds its output in a temporary directory beside the destination and moves it
into place with one rename (install_directory); only a directory recognised by its marker
file is ever replaced (replaceable_directory), never an arbitrary tree. Files and renames
are fsynced so that a power cut leaves the old or the new output, not a mix.
"""

from __future__ import annotations

import os
from pathlib import Path
import shutil
import tempfile

import numpy as np


def fsync_dir(path: Path) -> None:
    # Makes a rename durable across power loss; best effort (not every OS can open a dir).
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_array(path: Path, arr: np.ndarray) -> None:
    with open(path, 'wb') as f:
        np.save(f, arr)
        f.flush()
        os.fsync(f.fileno())


def replaceable_directory(root: Path, overwrite: bool, marker: str, what: str) -> bool:
    """
    Check whether `root` may be replaced by a new `what`.

    True if `root` holds `what` (recognised by its `marker` file) and `overwrite` allows
    replacing it, False if it is absent or empty; FileExistsError otherwise. Only such a
    directory is ever deleted, never an arbitrary tree.
    """
    if not root.exists() or (root.is_dir() and not any(root.iterdir())):
        return False
    if not overwrite:
        raise FileExistsError(
            f'{root}: exists and is not empty; pass overwrite=True (--overwrite) to replace {what}'
        )
    if not (root / marker).is_file():
        raise FileExistsError(
            f'{root}: exists but is not {what} (no {marker}); refusing to replace it'
        )
    return True


def install_directory(tmp: Path, dest: Path, replace: bool) -> None:
    """
    Move the finished directory `tmp` to `dest`.

    replace: `dest` exists and may go; it is moved aside first, so a failed rename of the new
    one can be undone. Otherwise `dest` must be absent or an empty directory. Shared by every
    all-or-nothing writer.
    """
    if replace:
        old = Path(tempfile.mkdtemp(prefix=f'{dest.name}.old-', dir=dest.parent))
        os.rename(dest, old / 'previous')
        try:
            os.rename(tmp, dest)
        except BaseException:
            os.rename(old / 'previous', dest)
            shutil.rmtree(old, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        if dest.exists():
            dest.rmdir()  # empty directory
        os.rename(tmp, dest)
