# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Image message fields <-> numpy: round trips, padding, and refusals that say why."""

import array

from imle_policy_ros.cameras import (
    decode_compressed,
    decode_image,
    encode_compressed,
    encode_image,
    ImageRejected,
)
import numpy as np
import pytest

RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
RGBA = RNG.integers(0, 256, (5, 7, 4), dtype=np.uint8)
MONO = RNG.integers(0, 256, (5, 7), dtype=np.uint8)
DEPTH = RNG.integers(0, 65536, (5, 7), dtype=np.uint16)


def decode(raw, data=None, **overrides):
    fields = {
        'encoding': raw.encoding,
        'height': raw.height,
        'width': raw.width,
        'step': raw.step,
        'data': raw.data if data is None else data,
        'is_bigendian': raw.is_bigendian,
    }
    fields.update(overrides)
    return decode_image(**fields)


@pytest.mark.parametrize('encoding', ['rgb8', 'bgr8'])
def test_colour_round_trip(encoding):
    raw = encode_image(RGB, encoding)
    assert (raw.height, raw.width, raw.step, len(raw.data)) == (5, 7, 21, 105)
    out = decode(raw)
    assert out.dtype == np.uint8 and out.flags.c_contiguous
    np.testing.assert_array_equal(out, RGB)


def test_bgr8_bytes_are_in_bgr_order():
    raw = encode_image(RGB, 'bgr8')
    stored = np.frombuffer(raw.data, np.uint8).reshape(5, 7, 3)
    np.testing.assert_array_equal(stored, RGB[..., ::-1])


@pytest.mark.parametrize('encoding', ['rgba8', 'bgra8'])
def test_alpha_is_dropped(encoding):
    out = decode(encode_image(RGBA, encoding))
    np.testing.assert_array_equal(out, RGBA[..., :3])


def test_mono8_is_replicated_to_rgb():
    out = decode(encode_image(MONO, 'mono8'))
    assert out.shape == (5, 7, 3)
    for channel in range(3):
        np.testing.assert_array_equal(out[..., channel], MONO)


@pytest.mark.parametrize('encoding', ['16UC1', 'mono16'])
def test_16_bit_round_trip(encoding):
    out = decode(encode_image(DEPTH, encoding))
    assert out.dtype == np.uint16 and out.shape == (5, 7)
    np.testing.assert_array_equal(out, DEPTH)


def test_16_bit_big_endian():
    raw = encode_image(DEPTH, '16UC1')
    out = decode(raw, data=DEPTH.astype('>u2').tobytes(), is_bigendian=1)
    assert out.dtype == np.dtype(np.uint16)  # native order, whatever the message had
    np.testing.assert_array_equal(out, DEPTH)


def test_32fc1_round_trip():
    metres = RNG.random((5, 7), dtype=np.float32) * 4
    out = decode(encode_image(metres, '32FC1'))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, metres)


@pytest.mark.parametrize('encoding,pixels', [('rgb8', RGB), ('bgra8', RGBA), ('16UC1', DEPTH)])
def test_padded_rows_are_skipped(encoding, pixels):
    raw = encode_image(pixels, encoding)
    rows = np.frombuffer(raw.data, np.uint8).reshape(raw.height, raw.step)
    padded = np.concatenate([rows, np.full((raw.height, 5), 0xAB, np.uint8)], axis=1)
    out = decode(raw, data=padded.tobytes(), step=raw.step + 5)
    expected = pixels[..., :3] if pixels.ndim == 3 else pixels
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    'wrap',
    [
        bytes,
        bytearray,
        memoryview,
        lambda b: array.array('B', b),
        lambda b: np.frombuffer(b, np.uint8),
    ],
)
def test_buffer_types_accepted_and_not_aliased(wrap):
    raw = encode_image(RGB, 'rgb8')
    source = bytearray(raw.data)
    data = wrap(source) if wrap is not bytes else bytes(source)
    out = decode(raw, data=data)
    np.testing.assert_array_equal(out, RGB)
    source[:] = bytes(len(source))  # the message buffer is reused: the array must not change
    np.testing.assert_array_equal(out, RGB)


def test_rclpy_style_array_input():
    raw = encode_image(DEPTH, '16UC1')
    out = decode(raw, data=array.array('B', raw.data))
    np.testing.assert_array_equal(out, DEPTH)


def refused(match, **fields):
    with pytest.raises(ImageRejected, match=match):
        decode_image(**fields)


def test_unsupported_encoding_names_it_and_the_alternatives():
    refused(
        r"'yuv422' is not supported; publish rgb8, bgr8",
        encoding='yuv422',
        height=1,
        width=2,
        step=4,
        data=bytes(4),
    )


def test_wrong_size_is_refused_with_the_numbers():
    refused(
        r'has 104 bytes but 5 rows of step 21 need 105',
        encoding='rgb8',
        height=5,
        width=7,
        step=21,
        data=bytes(104),
    )


def test_short_step_is_refused():
    refused(
        r'step 20 is smaller than a rgb8 row of 7 pixels \(21 bytes\)',
        encoding='rgb8',
        height=5,
        width=7,
        step=20,
        data=bytes(100),
    )


def test_empty_and_zero_sized_images_refused():
    refused(r'has 0 bytes but 5 rows', encoding='mono8', height=5, width=7, step=7, data=b'')
    refused(r'0x7 .*must be positive', encoding='mono8', height=0, width=7, step=7, data=b'')


def test_non_buffer_data_refused():
    refused(r'bytes-like .*got list', encoding='mono8', height=1, width=2, step=2, data=[1, 2])


def test_encode_refuses_mismatched_arrays():
    with pytest.raises(ImageRejected, match=r'rgb8 needs a uint8 \[H, W, 3\] array, got uint16'):
        encode_image(DEPTH[..., None].repeat(3, axis=2), 'rgb8')
    with pytest.raises(ImageRejected, match=r'16UC1 needs a uint16 \[H, W\]'):
        encode_image(RGB, '16UC1')


@pytest.mark.parametrize('fmt', ['jpeg', 'png'])
def test_compressed_round_trip(fmt):
    smooth = np.zeros((32, 48, 3), np.uint8)
    smooth[..., 0] = np.linspace(0, 255, 48, dtype=np.uint8)  # red ramp: catches RGB/BGR swaps
    smooth[..., 2] = 40
    format_string, data = encode_compressed(smooth, fmt, quality=95)
    assert format_string == f'rgb8; {fmt} compressed bgr8'
    out = decode_compressed(format_string, array.array('B', data))
    assert out.shape == (32, 48, 3) and out.dtype == np.uint8
    tolerance = 0 if fmt == 'png' else 6
    assert np.abs(out.astype(int) - smooth).max() <= tolerance


def test_plain_format_names_and_mono():
    format_string, data = encode_compressed(MONO, 'png')
    assert format_string == 'mono8; png compressed mono8'
    out = decode_compressed('png', data)
    np.testing.assert_array_equal(out[..., 1], MONO)


def test_corrupt_jpeg_refused_with_format_and_size():
    _, data = encode_compressed(RGB, 'jpeg')
    with pytest.raises(ImageRejected, match=r'jpeg image of 10 bytes could not be decoded'):
        decode_compressed('jpeg', data[:10])
    with pytest.raises(ImageRejected, match=r'jpeg image is empty \(0 bytes\)'):
        decode_compressed('rgb8; jpeg compressed bgr8', b'')


def test_unsupported_compressed_formats():
    with pytest.raises(ImageRejected, match='compressedDepth'):
        decode_compressed('16UC1; compressedDepth png', b'\x00' * 20)
    with pytest.raises(ImageRejected, match=r"'h264' is not supported; publish jpeg or png"):
        decode_compressed('h264', b'\x00' * 20)
