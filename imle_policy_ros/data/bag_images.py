"""Camera messages from a bag -> the dataset's uint8 RGB frames of one size.

Pixel decoding is cameras/image_codec's (one codec for live nodes and bags). What this adds
is what a dataset needs beyond it:

- depth (16UC1 in millimetres, 32FC1 in metres, per REP 118) becomes a 3-channel uint8
  image the RGB encoder can take: depth is clipped to [0, depth_max] metres and scaled
  linearly to 0..255, so near is dark and depth_max or farther is white; invalid depth
  (0, NaN) is 0, black. The same grey value goes to all three channels. A depth camera
  trained this way must be fed the same mapping at run time.
- mono16 (a 16-bit grey image, not depth) keeps its top 8 bits.
- every frame is resized to the dataset's size: INTER_AREA when shrinking (no aliasing),
  INTER_LINEAR when enlarging, INTER_NEAREST for depth (so an invalid pixel is never
  blended into a plausible-looking distance at an object's edge).
"""
from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from ..cameras.image_codec import decode_compressed, decode_image
from .bag_messages import COMPRESSED_IMAGE, IMAGE

IMAGE_TYPES = (IMAGE, COMPRESSED_IMAGE)
DEPTH_ENCODINGS = ("16UC1", "32FC1")


def depth_to_rgb(depth_m: np.ndarray, depth_max: float) -> np.ndarray:
    """[H, W] depth in metres -> uint8 [H, W, 3]: 0 m (or invalid) black, depth_max white."""
    depth = np.nan_to_num(np.asarray(depth_m, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    grey = np.round(np.clip(depth / depth_max, 0.0, 1.0) * 255.0).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def message_to_rgb(msgtype: str, msg, depth_max: float) -> tuple[np.ndarray, bool]:
    """(uint8 RGB [H, W, 3], is_depth) of an Image or CompressedImage message.
    Raises ImageRejected (a ValueError) for encodings it cannot read."""
    if msgtype == COMPRESSED_IMAGE:
        return decode_compressed(msg.format, msg.data), False
    pixels = decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data, msg.is_bigendian)
    if pixels.ndim == 3:
        return pixels, False
    if msg.encoding == "16UC1":
        return depth_to_rgb(pixels.astype(np.float32) / 1000.0, depth_max), True
    if msg.encoding == "32FC1":
        return depth_to_rgb(pixels, depth_max), True
    grey = (pixels >> 8).astype(np.uint8)  # mono16
    return np.repeat(grey[:, :, None], 3, axis=2), False


def resize(rgb: np.ndarray, height: int, width: int, nearest: bool = False) -> np.ndarray:
    if rgb.shape[:2] == (height, width):
        return rgb
    if nearest:
        interpolation = cv2.INTER_NEAREST
    elif height <= rgb.shape[0] and width <= rgb.shape[1]:
        interpolation = cv2.INTER_AREA
    else:
        interpolation = cv2.INTER_LINEAR
    return cv2.resize(rgb, (width, height), interpolation=interpolation)


def frame_decoder(height: int, width: int, depth_max: float) -> Callable[[str, object], np.ndarray]:
    """decode(msgtype, msg) -> uint8 RGB [height, width, 3], for bag_reader.read_topics."""
    if height <= 0 or width <= 0:
        raise ValueError(f"image size must be positive, got {height}x{width}")
    if not depth_max > 0:
        raise ValueError(f"depth_max must be > 0 m, got {depth_max}")

    def decode(msgtype: str, msg) -> np.ndarray:
        rgb, is_depth = message_to_rgb(msgtype, msg, depth_max)
        return resize(rgb, height, width, nearest=is_depth)

    return decode
