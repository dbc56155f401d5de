# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The picture of a replay: the demonstrator's commands and the model's chunks, per joint.

Per joint, the demonstrator's commands over time and every chunk the model chose on top (the
executed part bold, the rest thin), with the errors.

opencv only, like the other pictures, so a deploy host can draw it.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .replay import ReplayReport

RECORDED_COLOR = (30, 30, 30)  # BGR
CHUNK_COLORS = [(200, 110, 40), (40, 140, 240), (60, 170, 60), (180, 60, 180)]  # cycled per chunk
WIDTH, PANEL_HEIGHT, MARGIN_LEFT, MARGIN_TOP = 960, 220, 70, 46


def draw_replay(report: ReplayReport, path: str | Path) -> Path:
    names = report.action_names
    summary = report.summary()
    image = np.full((MARGIN_TOP + PANEL_HEIGHT * len(names) + 30, WIDTH, 3), 255, np.uint8)
    _text(
        image,
        f'{report.episode}: {summary["inferences"]} inferences, '
        'replayed as the node would run them (open loop)',
        (10, 20),
        0.5,
    )
    _text(
        image,
        'black: recorded commands; colour: chosen chunks (bold = executed part)',
        (10, 38),
        0.42,
    )
    t0, t1 = float(report.recorded_times[0]), float(report.recorded_times[-1])
    for j, name in enumerate(names):
        top = MARGIN_TOP + j * PANEL_HEIGHT
        values = [report.recorded_actions[:, j]] + [c.chosen[:, j] for c in report.chunks]
        low, high = (
            float(np.min([v.min() for v in values])),
            float(np.max([v.max() for v in values])),
        )
        pad = max(1e-3, 0.08 * (high - low))
        panel = _Panel(top, t0, t1, low - pad, high + pad)
        panel.frame(image)
        panel.line(image, report.recorded_times, report.recorded_actions[:, j], RECORDED_COLOR, 2)
        start, stop = report.obs_horizon - 1, report.obs_horizon - 1 + report.action_horizon
        for i, chunk in enumerate(report.chunks):
            color = CHUNK_COLORS[i % len(CHUNK_COLORS)]
            panel.line(image, chunk.times, chunk.chosen[:, j], color, 1)
            panel.line(image, chunk.times[start:stop], chunk.chosen[start:stop, j], color, 3)
        _text(
            image,
            f'{name}: MAE executed {summary["mae_executed"][name]:.4f} (best of N '
            f'{summary["mae_executed_best_of_n"][name]:.4f}, holding still '
            f'{summary["mae_executed_holding_still"][name]:.4f})',
            (MARGIN_LEFT + 6, top + 16),
            0.42,
        )
        _text(image, f'{high + pad:.3f}', (4, top + 12), 0.38)
        _text(image, f'{low - pad:.3f}', (4, top + PANEL_HEIGHT - 22), 0.38)
    bottom = MARGIN_TOP + PANEL_HEIGHT * len(names)
    _text(image, f'{t0:.2f} s', (MARGIN_LEFT, bottom + 14), 0.38)
    _text(image, f'{t1:.2f} s', (WIDTH - 70, bottom + 14), 0.38)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), image):
        raise OSError(f'could not write {path} (is the extension .png?)')
    return path


class _Panel:
    """One joint's panel: maps (time in t0..t1, value in low..high) to pixels below `top`."""

    def __init__(self, top: int, t0: float, t1: float, low: float, high: float):
        self.top, self.t0, self.t1, self.low, self.high = top, t0, max(t1, t0 + 1e-6), low, high
        self.height = PANEL_HEIGHT - 20

    def frame(self, image) -> None:
        cv2.rectangle(
            image,
            (MARGIN_LEFT, self.top),
            (WIDTH - 10, self.top + self.height),
            (180, 180, 180),
            1,
        )

    def line(self, image, times, values, color, thickness) -> None:
        keep = (times >= self.t0) & (times <= self.t1) & np.isfinite(values)
        if keep.sum() < 2:
            return
        x = MARGIN_LEFT + (times[keep] - self.t0) / (self.t1 - self.t0) * (
            WIDTH - 10 - MARGIN_LEFT
        )
        y = self.top + (self.high - values[keep]) / (self.high - self.low) * self.height
        points = np.stack([x, y], axis=1).round().astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [points], False, color, thickness, cv2.LINE_AA)


def _text(image, text: str, origin, scale: float) -> None:
    cv2.putText(image, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), 1, cv2.LINE_AA)
