# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""prepare_frame: resize, center crop, mono frames, input validation."""

from __future__ import annotations

from imle_policy_ros.runtime import CameraSpec, prepare_frame
from imle_policy_ros.runtime.preprocess import center_crop_offsets
import numpy as np
import pytest


def test_resize_then_center_crop_shape_and_dtype():
    frame = np.random.default_rng(0).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    out = prepare_frame(frame, CameraSpec('c', 96, 128, crop=(84, 112)))
    assert out.shape == (84, 112, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


def test_same_size_is_not_resampled_and_crop_is_centered():
    frame = np.arange(6 * 8 * 3, dtype=np.uint8).reshape(6, 8, 3)
    out = prepare_frame(frame, CameraSpec('c', 6, 8, crop=(2, 4)))
    np.testing.assert_array_equal(out, frame[2:4, 2:6])
    np.testing.assert_array_equal(prepare_frame(frame, CameraSpec('c', 6, 8)), frame)


def test_odd_margin_puts_extra_pixel_below_and_right():
    assert center_crop_offsets(5, 7, (2, 2)) == (1, 2)


def test_shrink_uses_area_and_grow_uses_linear():
    import cv2

    frame = np.random.default_rng(2).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    small = prepare_frame(frame, CameraSpec('c', 10, 10))
    np.testing.assert_array_equal(small, cv2.resize(frame, (10, 10), interpolation=cv2.INTER_AREA))
    assert not np.array_equal(small, cv2.resize(frame, (10, 10), interpolation=cv2.INTER_LINEAR))
    big = prepare_frame(frame, CameraSpec('c', 45, 60))
    np.testing.assert_array_equal(big, cv2.resize(frame, (60, 45), interpolation=cv2.INTER_LINEAR))
    # One side grows and one shrinks: not a pure shrink, so linear.
    mixed = prepare_frame(frame, CameraSpec('c', 20, 50))
    np.testing.assert_array_equal(
        mixed, cv2.resize(frame, (50, 20), interpolation=cv2.INTER_LINEAR)
    )


def test_uniform_frame_stays_uniform():
    frame = np.full((37, 53, 3), 77, np.uint8)
    for cam in (CameraSpec('c', 16, 16), CameraSpec('c', 64, 80, crop=(60, 60))):
        assert np.all(prepare_frame(frame, cam) == 77)


@pytest.mark.parametrize('shape', [(10, 12), (10, 12, 1)])
def test_mono_frames_become_three_channels(shape):
    frame = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    out = prepare_frame(frame, CameraSpec('c', 10, 12))
    assert out.shape == (10, 12, 3)
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    np.testing.assert_array_equal(out[..., 1], frame.reshape(10, 12))


@pytest.mark.parametrize(
    'frame, match',
    [
        (np.zeros((8, 8, 3), np.float32), 'uint8'),
        (np.zeros((8, 8, 4), np.uint8), 'HxWx3'),
        (np.zeros((8,), np.uint8), 'HxWx3'),
        (np.zeros((0, 8, 3), np.uint8), 'empty'),
        ([[0, 1]], 'numpy array'),
    ],
)
def test_bad_frames_are_rejected(frame, match):
    with pytest.raises(ValueError, match=match):
        prepare_frame(frame, CameraSpec('c', 8, 8))
