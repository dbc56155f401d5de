# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Pictures of an evaluation: every episode's tool path over the scene, and a video.

opencv only (already a runtime dependency), so a deploy host can draw them too.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .closed_loop import EvalReport
from ..sim.camera import OBSTACLE_COLOR, TABLE_COLOR, TARGET_COLOR, TopDownView
from ..sim.reach_task import OBSTACLE_RADIUS, OBSTACLE_XY, TARGET_RADIUS

SIDE_COLORS = {'left': (40, 110, 220), 'right': (240, 140, 20)}  # RGB
FAILURE_COLOR = (200, 0, 160)


def draw_paths(report: EvalReport, path: str | Path, size: int = 640, title: str = '') -> Path:
    """
    Draw a PNG: the obstacle, each episode's target, and its tool path.

    Each tool path is coloured by the side it took (failures in magenta).
    """
    view = TopDownView(size)
    image = np.empty((size, size, 3), np.uint8)
    image[:] = TABLE_COLOR
    shift = 4
    cv2.circle(
        image,
        view.fixed(OBSTACLE_XY),
        view.radius(OBSTACLE_RADIUS),
        OBSTACLE_COLOR,
        -1,
        cv2.LINE_AA,
        shift,
    )
    for e in report.episodes:
        cv2.circle(
            image,
            view.fixed(e.target_xy),
            view.radius(TARGET_RADIUS),
            TARGET_COLOR,
            1,
            cv2.LINE_AA,
            shift,
        )
    for e in report.episodes:
        color = SIDE_COLORS.get(e.side, FAILURE_COLOR) if e.success else FAILURE_COLOR
        points = np.array([view.fixed(p) for p in e.tool_path], np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [points], False, color, 1, cv2.LINE_AA, shift)
    s = report.summary()
    lines = [title] if title else []
    lines.append(
        f'success {s["success_rate"]:.0%} of {s["episodes"]}  left {s["mode_share"]["left"]:.0%}  '
        f'right {s["mode_share"]["right"]:.0%}  switches/ep {s["switches_per_episode"]:.2f}'
    )
    for i, text in enumerate(lines):
        cv2.putText(
            image,
            text,
            (8, 18 + 18 * i),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.45,
            (20, 20, 20),
            1,
            cv2.LINE_AA,
        )
    _legend(image, size)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def _legend(image: np.ndarray, size: int) -> None:
    entries = [
        ('left', SIDE_COLORS['left']),
        ('right', SIDE_COLORS['right']),
        ('failed', FAILURE_COLOR),
    ]
    for i, (label, color) in enumerate(entries):
        y = size - 14 - 16 * (len(entries) - 1 - i)
        cv2.line(image, (8, y - 4), (28, y - 4), color, 2, cv2.LINE_AA)
        cv2.putText(
            image, label, (34, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (20, 20, 20), 1, cv2.LINE_AA
        )


def write_video(frames: list[np.ndarray], path: str | Path, fps: float, scale: int = 4) -> Path:
    """MP4 (mp4v) of RGB frames, upscaled so the small camera images are watchable."""
    if not frames:
        raise ValueError('no frames to write')
    path = Path(path)
    if path.suffix.lower() != '.mp4':
        raise ValueError(f'{path}: videos are written as .mp4')
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(
        str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (w * scale, h * scale)
    )
    if not writer.isOpened():
        raise RuntimeError(f'{path}: opencv could not open an mp4 writer on this machine')
    try:
        for frame in frames:
            big = cv2.resize(frame, (w * scale, h * scale), interpolation=cv2.INTER_NEAREST)
            writer.write(cv2.cvtColor(big, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()
    return path
