# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Datasets on disk: the episode store that training reads and conversions write.

numpy only (no torch, no ROS), so recording and conversion hosts need nothing else.
See docs/DATASET.md for the format and why it is this way.
"""

from .episode_store import (
    ACTION_KINDS,
    atomic_dataset,
    CameraMeta,
    DatasetMeta,
    Episode,
    EpisodeStore,
    FORMAT_VERSION,
    write_dataset_atomically,
)

__all__ = [
    'ACTION_KINDS',
    'FORMAT_VERSION',
    'CameraMeta',
    'DatasetMeta',
    'Episode',
    'EpisodeStore',
    'atomic_dataset',
    'write_dataset_atomically',
]
