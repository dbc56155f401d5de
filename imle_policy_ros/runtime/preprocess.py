# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Camera frame -> encoder input: resize to the camera's size, then center crop.

Training resizes the same way and crops randomly; evaluation and deployment take the
center crop. The crop offsets, the resize and the depth mapping are defined here so the
dataset converter and the learning side use the very same ones: a one-pixel shift or
another grey scale between training and deployment is a silent accuracy loss.

A depth camera (CameraSpec.depth_max_m set) gives float depth in metres. The encoder takes
RGB, so depth becomes grey: clipped to [0, depth_max_m] and scaled to 0..255 (near is dark,
depth_max_m or farther white, invalid 0 / NaN black), the same value in all three
channels, and resized with INTER_NEAREST so an invalid pixel is never blended into a
plausible-looking distance at an object's edge.

OpenCV is imported inside `resize_frame` so that importing the runtime does not load it
(tools that only inspect or validate bundles do not need it).
"""

from __future__ import annotations

import numpy as np

from .policy_spec import CameraSpec


def center_crop_offsets(height: int, width: int, crop_hw: tuple[int, int]) -> tuple[int, int]:
    """
    Return (top, left) of a centered crop_hw window.

    The extra pixel of an odd margin goes below/right.
    """
    ch, cw = crop_hw
    if ch > height or cw > width:
        raise ValueError(f'crop {ch}x{cw} does not fit in {height}x{width}')
    return (height - ch) // 2, (width - cw) // 2


def center_crop(image: np.ndarray, crop_hw: tuple[int, int]) -> np.ndarray:
    top, left = center_crop_offsets(image.shape[0], image.shape[1], crop_hw)
    bottom, right = top + crop_hw[0], left + crop_hw[1]
    return image[top:bottom, left:right]


def _as_rgb_uint8(frame: np.ndarray) -> np.ndarray:
    if not isinstance(frame, np.ndarray):
        raise ValueError(f'frame must be a numpy array, got {type(frame).__name__}')
    if frame.dtype != np.uint8:
        raise ValueError(
            f'frame must be uint8 (0..255), got {frame.dtype}; convert it before '
            f'preprocessing (e.g. (x * 255).astype(np.uint8) for [0, 1] floats)'
        )
    if frame.ndim == 3 and frame.shape[2] == 1:
        frame = frame[:, :, 0]
    if frame.ndim == 2:  # mono camera: the encoder expects 3 channels
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim != 3 or frame.shape[2] != 3:
        raise ValueError(f'frame must be HxWx3 RGB or HxW mono, got shape {frame.shape}')
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise ValueError(f'frame is empty (shape {frame.shape})')
    return frame


def depth_to_grey(depth_m: np.ndarray, depth_max_m: float) -> np.ndarray:
    """[H, W] depth in metres -> uint8 [H, W, 3]: 0 m (or invalid) black, depth_max_m white."""
    depth = np.nan_to_num(np.asarray(depth_m, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    grey = np.round(np.clip(depth / np.float32(depth_max_m), 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def resize_frame(frame: np.ndarray, height: int, width: int, nearest: bool = False) -> np.ndarray:
    """
    Resize uint8 [h, w, 3] -> [height, width, 3].

    INTER_NEAREST when asked (depth), else INTER_AREA when no side grows (it averages the
    pixels it drops: no aliasing) and INTER_LINEAR otherwise.
    """
    if frame.shape[:2] == (height, width):
        return frame
    import cv2  # lazy: see module docstring

    if nearest:
        interpolation = cv2.INTER_NEAREST
    elif height <= frame.shape[0] and width <= frame.shape[1]:
        interpolation = cv2.INTER_AREA
    else:
        interpolation = cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)  # cv2 takes (w, h)


def _depth_as_grey(frame, camera: CameraSpec) -> np.ndarray:
    if not isinstance(frame, np.ndarray) or frame.ndim != 2 or frame.dtype.kind != 'f':
        got = (
            f'{frame.dtype} {list(frame.shape)}'
            if isinstance(frame, np.ndarray)
            else type(frame).__name__
        )
        raise ValueError(
            f'camera {camera.name!r} is a depth camera: it needs float depth in metres '
            f'[H, W] (16UC1 or 32FC1 images), got {got}; point it at the depth topic'
        )
    if frame.size == 0:
        raise ValueError(f'frame is empty (shape {frame.shape})')
    assert camera.depth_max_m is not None, 'only a depth camera gets here'
    return depth_to_grey(frame, camera.depth_max_m)


def prepare_frame(frame: np.ndarray, camera: CameraSpec) -> np.ndarray:
    """
    Prepare a frame for the encoder: uint8 [h, w, 3] = camera.model_input_hw, C-contiguous.

    The frame: uint8 HxWx3 RGB (or HxW mono), or float HxW depth in metres for a depth
    camera.

    Depth becomes grey (module docstring); then resize to (camera.height, camera.width)
    (resize_frame) and center crop to camera.crop if the camera has one.
    """
    depth = camera.depth_max_m is not None
    if depth:
        frame = _depth_as_grey(frame, camera)
    elif isinstance(frame, np.ndarray) and frame.ndim == 2 and frame.dtype.kind == 'f':
        raise ValueError(
            f'camera {camera.name!r} takes colour images, got float depth {list(frame.shape)}; '
            f'point it at a colour topic (this model was not trained on depth)'
        )
    else:
        frame = _as_rgb_uint8(frame)
    frame = resize_frame(frame, camera.height, camera.width, nearest=depth)
    if camera.crop:
        frame = center_crop(frame, camera.crop)
    return np.ascontiguousarray(frame)
