# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Min-max normalization to [-1, 1], shared by training (stats) and deployment (unnormalize).

numpy only: the runtime imports this, so it must not pull in torch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# A dimension whose range is below this is treated as constant: its stats are widened to
# [value - 1, value + 1] so it normalizes to 0 instead of dividing by ~0, and it is marked
# `constant`: unnormalizing gives the value itself, whatever the model said. A model
# learns nothing about a dimension that never varied, and its small errors there would
# come back multiplied by the widened range (a centimetre-sized drift of a fixed height).
_MIN_RANGE = 1e-4


@dataclass(frozen=True)
class MinMaxStats:
    """Per-dimension bounds; normalize maps [min, max] onto [-1, 1]."""

    min: np.ndarray  # noqa: A003
    max: np.ndarray  # noqa: A003
    constant: np.ndarray | None = None  # bool [dim]: never varied in the data (see above)

    @classmethod
    def fit(cls, values: np.ndarray) -> 'MinMaxStats':
        """Stats over every axis but the last (values: (..., dim))."""
        flat = np.asarray(values, dtype=np.float64).reshape(-1, np.shape(values)[-1])
        if flat.shape[0] == 0:
            raise ValueError('cannot fit normalization stats on zero samples')
        if not np.all(np.isfinite(flat)):
            raise ValueError('cannot fit normalization stats: values contain NaN or Inf')
        lo, hi = flat.min(axis=0), flat.max(axis=0)
        constant = (hi - lo) < _MIN_RANGE
        lo = np.where(constant, lo - 1.0, lo)
        hi = np.where(constant, hi + 1.0, hi)
        return cls(
            lo.astype(np.float32), hi.astype(np.float32), constant if constant.any() else None
        )

    @classmethod
    def from_dict(cls, d: dict) -> 'MinMaxStats':
        lo = np.asarray(d['min'], dtype=np.float32)
        hi = np.asarray(d['max'], dtype=np.float32)
        if lo.shape != hi.shape or lo.ndim != 1:
            raise ValueError(
                f'normalization min/max must be equal-length lists, got {lo.shape} and {hi.shape}'
            )
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ValueError('normalization min/max contain NaN or Inf')
        if np.any(hi - lo <= 0):
            raise ValueError('normalization max must be greater than min in every dimension')
        constant = d.get('constant')
        if constant is not None:
            constant = np.asarray(constant, dtype=bool)
            if constant.shape != lo.shape:
                raise ValueError('normalization constant must have one flag per dimension')
        return cls(lo, hi, constant)

    def to_dict(self) -> dict:
        d = {'min': [float(v) for v in self.min], 'max': [float(v) for v in self.max]}
        if self.constant is not None:
            d['constant'] = [bool(c) for c in self.constant]
        return d

    @property
    def dim(self) -> int:
        return int(self.min.shape[0])

    def normalize(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return (2.0 * (x - self.min) / (self.max - self.min) - 1.0).astype(np.float32)

    def unnormalize(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        values = ((x + 1.0) * 0.5 * (self.max - self.min) + self.min).astype(np.float32)
        if self.constant is not None:
            middle = (0.5 * (self.max + self.min)).astype(np.float32)
            values = np.where(self.constant, middle, values).astype(np.float32)
        return values
