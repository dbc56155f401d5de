"""Camera frame -> encoder input: resize to the camera's size, then center crop.

Training resizes the same way and crops randomly; evaluation and deployment take the
center crop. The crop offsets are defined here (`center_crop_offsets`) so the learning side
can use the very same ones: a one-pixel shift between training-time eval and deployment is
a silent accuracy loss. OpenCV is imported inside `prepare_frame` so that importing the
runtime does not load it (tools that only inspect or validate bundles do not need it).
"""
from __future__ import annotations

import numpy as np

from .policy_spec import CameraSpec


def center_crop_offsets(height: int, width: int, crop_hw: tuple[int, int]) -> tuple[int, int]:
    """(top, left) of a centered crop_hw window; the extra pixel of an odd margin goes below/right."""
    ch, cw = crop_hw
    if ch > height or cw > width:
        raise ValueError(f"crop {ch}x{cw} does not fit in {height}x{width}")
    return (height - ch) // 2, (width - cw) // 2


def center_crop(image: np.ndarray, crop_hw: tuple[int, int]) -> np.ndarray:
    top, left = center_crop_offsets(image.shape[0], image.shape[1], crop_hw)
    return image[top:top + crop_hw[0], left:left + crop_hw[1]]


def _as_rgb_uint8(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        raise ValueError(f"frame must be a numpy array, got {type(frame).__name__}")
    if frame.dtype != np.uint8:
        raise ValueError(f"frame must be uint8 (0..255), got {frame.dtype}; convert it before "
                         f"preprocessing (e.g. (x * 255).astype(np.uint8) for [0, 1] floats)")
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:  # mono camera: the encoder expects 3 channels
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f"frame must be HxWx3 RGB or HxW mono, got shape {frame.shape}")
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f"frame is empty (shape {frame.shape})")
    return frame


def prepare_frame(frame: np.ndarray, camera: CameraSpec) -> np.ndarray:
    """uint8 HxWx3 RGB (or HxW mono) -> uint8 [h, w, 3] = camera.model_input_hw, C-contiguous.

    Resize to (camera.height, camera.width) with INTER_AREA when no side grows (it averages
    the pixels it drops, so no aliasing) and INTER_LINEAR otherwise; then center crop to
    camera.crop if the camera has one.
    """
    frame = _as_rgb_uint8(frame)
    target_h, target_w = camera.height, camera.width
    h, w = frame.shape[:2]
    if (h, w) != (target_h, target_w):
        import cv2  # lazy: see module docstring

        shrinking = target_h <= h and target_w <= w
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        frame = cv2.resize(frame, (target_w, target_h), interpolation=interpolation)  # cv2 takes (w, h)
    if camera.crop:
        frame = center_crop(frame, camera.crop)
    return np.ascontiguousarray(frame)
