# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
sensor_msgs/Image and CompressedImage fields <-> numpy, without message classes.

cv_bridge is not installable from pip, and the nodes should not depend on it anyway: a
converter that takes the message *fields* (encoding, height, width, step, data) works the
same under rclpy, with bags read by `rosbags`, and in tests without ROS at all.

Decoding is strict on purpose. A frame whose size does not match its header is a driver or
transport bug, and feeding a shifted or truncated image to the policy fails silently (it
just acts worse), so it is refused with the numbers and what to change. Every decoded array
is a fresh copy: rclpy reuses nothing today, but an array that aliases a message buffer
would be corrupted the day it does, and the caller keeps frames across callbacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class ImageRejected(ValueError):
    """
    An image message that cannot be turned into an array.

    The message says why and what to do.
    """


# encoding -> (little-endian element dtype, channels). 8-bit dtypes have no byte order.
_LAYOUTS = {
    'rgb8': ('u1', 3),
    'bgr8': ('u1', 3),
    'rgba8': ('u1', 4),
    'bgra8': ('u1', 4),
    'mono8': ('u1', 1),
    '16UC1': ('<u2', 1),
    'mono16': ('<u2', 1),
    '32FC1': ('<f4', 1),
}
_COLOUR = ('rgb8', 'bgr8', 'rgba8', 'bgra8', 'mono8')
_SUPPORTED = 'rgb8, bgr8, rgba8, bgra8, mono8, 16UC1, mono16 or 32FC1'


def _layout(encoding: str) -> tuple[np.dtype, int]:
    if encoding not in _LAYOUTS:
        raise ImageRejected(f'image encoding {encoding!r} is not supported; publish {_SUPPORTED}')
    dtype, channels = _LAYOUTS[encoding]
    return np.dtype(dtype), channels


def _as_bytes(data, what: str) -> np.ndarray:
    # The buffer protocol covers bytes, bytearray, memoryview, array.array('B') (what rclpy
    # gives for uint8[]) and numpy arrays, without a Python loop over the pixels.
    try:
        return np.frombuffer(data, dtype=np.uint8)
    except (TypeError, ValueError) as exc:
        raise ImageRejected(
            f"{what} data must be bytes-like (bytes, array.array('B'), "
            f'memoryview), got {type(data).__name__}'
        ) from exc


def decode_image(
    encoding: str, height: int, width: int, step: int, data, is_bigendian: int = 0
) -> np.ndarray:
    """
    Decode Image fields into an array of the encoding's own type.

    uint8 RGB [H, W, 3] for colour encodings, [H, W] uint16 for 16UC1 and mono16, [H, W]
    float32 for 32FC1 (depth in metres). Rows may be padded (step > width * bpp).
    """
    dtype, channels = _layout(encoding)
    if height <= 0 or width <= 0:
        raise ImageRejected(f'image is {height}x{width} (height x width): both must be positive')
    row_bytes = width * channels * dtype.itemsize
    if step < row_bytes:
        raise ImageRejected(
            f'image step {step} is smaller than a {encoding} row of {width} '
            f'pixels ({row_bytes} bytes); step is the row length in bytes'
        )
    buf = _as_bytes(data, 'image')
    if buf.size != step * height:
        raise ImageRejected(
            f'image data has {buf.size} bytes but {height} rows of step {step} '
            f'need {step * height}; the header does not match the pixels'
        )
    if is_bigendian and dtype.itemsize > 1:
        dtype = dtype.newbyteorder('>')
    # A strided view over the message bytes: the row stride is `step`, so padding is skipped
    # without a copy. The one copy happens below, when the result is made contiguous.
    pixels = np.ndarray(
        (height, width, channels),
        dtype=dtype,
        buffer=buf,
        strides=(step, channels * dtype.itemsize, dtype.itemsize),
    )
    if encoding not in _COLOUR:
        return pixels[:, :, 0].astype(dtype.newbyteorder('='), order='C', copy=True)
    if encoding == 'mono8':
        return np.repeat(pixels, 3, axis=2)  # the encoder expects three channels
    if encoding.startswith('bgr'):
        pixels = pixels[:, :, 2::-1]  # BGR(A) -> RGB; drops alpha in the same step
    return np.array(pixels[:, :, :3], dtype=np.uint8, order='C', copy=True)


def decode_camera_frame(
    encoding: str, height: int, width: int, step: int, data, is_bigendian: int = 0
) -> np.ndarray:
    """
    Decode Image fields into what a camera shows the policy.

    That is uint8 RGB [H, W, 3], or for a depth encoding float32 [H, W] depth in metres
    (16UC1 is millimetres, 32FC1 metres, per REP 118; 0 and NaN stay invalid). mono16 is a
    16-bit grey image, not depth: it keeps its top 8 bits as grey.
    """
    pixels = decode_image(encoding, height, width, step, data, is_bigendian)
    if encoding == '16UC1':
        return pixels.astype(np.float32) / np.float32(1000.0)
    if encoding == 'mono16':
        return np.repeat((pixels >> 8).astype(np.uint8)[:, :, None], 3, axis=2)
    return pixels  # colour RGB, or 32FC1 metres as they are


def decode_image_message(msg, compressed: bool) -> np.ndarray:
    """
    Decode an Image (compressed=False) or CompressedImage message.

    The message may be rclpy's or rosbags' (only the fields are read); the result is
    decode_camera_frame's or decode_compressed's.
    """
    if compressed:
        return decode_compressed(msg.format, msg.data)
    return decode_camera_frame(
        msg.encoding, msg.height, msg.width, msg.step, msg.data, msg.is_bigendian
    )


def _compressed_codec(fmt: str) -> str:
    # image_transport writes "rgb8; jpeg compressed bgr8"; other publishers write just
    # "jpeg" or "png". compressedDepth prefixes its PNG with a header cv2 cannot read.
    lowered = fmt.lower()
    if 'compresseddepth' in lowered:
        raise ImageRejected(
            f'compressed format {fmt!r} (compressedDepth) is not supported; '
            'subscribe to the raw depth topic instead'
        )
    if 'png' in lowered:
        return 'png'
    if 'jpeg' in lowered or 'jpg' in lowered:
        return 'jpeg'
    raise ImageRejected(
        f'compressed format {fmt!r} is not supported; publish jpeg or png '
        "(image_transport 'compressed')"
    )


def decode_compressed(format: str, data) -> np.ndarray:  # noqa: A002 - the message field name
    """
    Decode CompressedImage fields into uint8 RGB [H, W, 3].

    Grey images are replicated to 3 channels.
    """
    import cv2  # only the compressed path needs OpenCV

    codec = _compressed_codec(format)
    buf = _as_bytes(data, f'{codec} image')
    if buf.size == 0:
        raise ImageRejected(f'{codec} image is empty (0 bytes); the publisher sent no data')
    try:
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    except cv2.error:
        bgr = None
    if bgr is None:
        raise ImageRejected(
            f'{codec} image of {buf.size} bytes could not be decoded (corrupt '
            f"or truncated); check the publisher's format {format!r}"
        )
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@dataclass(frozen=True)
class RawImage:
    """The fields of a sensor_msgs/Image, ready to be copied into a message."""

    encoding: str
    height: int
    width: int
    step: int
    data: bytes
    is_bigendian: int = 0  # always little-endian: what every ROS 2 platform runs


def encode_image(array: np.ndarray, encoding: str = 'rgb8') -> RawImage:
    """
    Encode an array as the fields of a sensor_msgs/Image in `encoding`.

    RGB(A) uint8 [H, W, 3|4] as rgb8/bgr8/rgba8/bgra8, [H, W] uint8 as mono8, uint16 [H, W]
    as 16UC1/mono16, float32 [H, W] as 32FC1. The input is RGB order whatever the encoding.
    """
    dtype, channels = _layout(encoding)
    array = np.asarray(array)
    expected = (channels,) if channels > 1 else ()
    same_type = array.dtype.kind == dtype.kind and array.dtype.itemsize == dtype.itemsize
    if array.ndim != 2 + len(expected) or array.shape[2:] != expected or not same_type:
        shape = '[H, W]' if channels == 1 else f'[H, W, {channels}]'
        raise ImageRejected(
            f'{encoding} needs a {dtype.name} {shape} array, got {array.dtype} {list(array.shape)}'
        )
    height, width = array.shape[:2]
    if height == 0 or width == 0:
        raise ImageRejected(f'cannot encode an empty image ({height}x{width})')
    if encoding.startswith('bgr'):
        array = array[:, :, [2, 1, 0, 3][:channels]]  # RGB(A) -> BGR(A)
    data = np.ascontiguousarray(array, dtype=dtype).tobytes()
    return RawImage(encoding, height, width, width * channels * dtype.itemsize, data)


def encode_compressed(
    array_rgb: np.ndarray, fmt: str = 'jpeg', quality: int = 90
) -> tuple[str, bytes]:
    """
    Encode uint8 RGB [H, W, 3] (or mono [H, W]) as (format string, bytes).

    They are as image_transport's compressed publisher writes them. `quality` is the JPEG
    quality (1-100); PNG is lossless.
    """
    import cv2

    array = np.asarray(array_rgb)
    mono = array.ndim == 2
    if array.dtype != np.uint8 or not (mono or (array.ndim == 3 and array.shape[2] == 3)):
        raise ImageRejected(
            f'compressed images need uint8 [H, W, 3] RGB or [H, W] mono, got '
            f'{array.dtype} {list(array.shape)}'
        )
    if fmt not in ('jpeg', 'png'):
        raise ImageRejected(f"compressed format {fmt!r} is not supported; use 'jpeg' or 'png'")
    if not 1 <= quality <= 100:
        raise ImageRejected(f'JPEG quality must be 1..100, got {quality}')
    pixels = array if mono else cv2.cvtColor(array, cv2.COLOR_RGB2BGR)  # files store BGR
    params = [cv2.IMWRITE_JPEG_QUALITY, int(quality)] if fmt == 'jpeg' else []
    ok, encoded = cv2.imencode('.jpg' if fmt == 'jpeg' else '.png', pixels, params)
    if not ok:
        raise ImageRejected(f'OpenCV could not encode a {list(array.shape)} image as {fmt}')
    source, stored = ('mono8', 'mono8') if mono else ('rgb8', 'bgr8')
    return f'{source}; {fmt} compressed {stored}', encoded.tobytes()
