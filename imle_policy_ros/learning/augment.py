# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Random image crops for training.

The run-time counterpart is the center crop of `runtime.preprocess` (same crop size both
ways).

Works on numpy arrays and torch tensors alike (only basic slicing is used), channels-last
[..., H, W, 3]. One crop offset is drawn per call and applied to every leading index, so
the frames of one observation history stay aligned with each other; call once per sample
to get a different crop per sample.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _crop_size(images, crop_hw: Sequence[int]) -> tuple[int, int, int, int]:
    if images.ndim < 3 or images.shape[-1] != 3:
        raise ValueError(f'images must be [..., H, W, 3], got shape {tuple(images.shape)}')
    h, w = int(images.shape[-3]), int(images.shape[-2])
    ch, cw = int(crop_hw[0]), int(crop_hw[1])
    if not (0 < ch <= h and 0 < cw <= w):
        raise ValueError(f'crop {ch}x{cw} does not fit in images of {h}x{w}')
    return h, w, ch, cw


def random_crop(images, crop_hw: Sequence[int], rng: np.random.Generator):
    """Return a crop_hw window at a uniformly random offset (inclusive of both borders)."""
    h, w, ch, cw = _crop_size(images, crop_hw)
    top = int(rng.integers(0, h - ch + 1))
    left = int(rng.integers(0, w - cw + 1))
    bottom, right = top + ch, left + cw
    return images[..., top:bottom, left:right, :]
