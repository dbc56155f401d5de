# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The broken inputs sim_robot_node sends on purpose (ros/input_faults.py) are broken as claimed.

Each one the node must refuse is refused by the node's own decoding and history, with the
reason the fault tests look for; the legal ones are accepted.
"""

import numpy as np
import pytest

pytest.importorskip('rclpy')

from builtin_interfaces.msg import Time  # noqa: E402, I100
from imle_policy_ros.cameras.image_codec import encode_compressed, ImageRejected  # noqa: E402
from imle_policy_ros.control.observation_history import (  # noqa: E402
    InputRejected,
    ObservationHistory,
)
from imle_policy_ros.ros import input_faults, messages  # noqa: E402
from sensor_msgs.msg import CompressedImage  # noqa: E402

FRAME = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    'fault, reason',
    [
        ('wrong_encoding', "'yuv422' is not supported"),
        ('wrong_size', 'the header does not match the pixels'),
        ('bad_step', 'step 189 is smaller than'),
    ],
)
def test_broken_images_are_refused_with_the_reason(fault, reason):
    msg = input_faults.break_image(messages.rgb_to_image(FRAME, Time(sec=1), 'cam'), fault)
    with pytest.raises(ImageRejected, match=reason):
        messages.image_to_frame(msg)


def test_a_truncated_jpeg_is_refused_and_an_intact_one_decodes():
    fmt, data = encode_compressed(FRAME)
    intact = CompressedImage(format=fmt, data=list(data))
    assert messages.image_to_frame(intact).shape == (64, 64, 3)
    broken = input_faults.break_compressed(
        CompressedImage(format=fmt, data=list(data)), 'corrupt_compressed'
    )
    with pytest.raises(ImageRejected, match='could not be decoded'):
        messages.image_to_frame(broken)


def joint_state(fault):
    msg = messages.joint_state(('shoulder', 'elbow'), [0.5, -1.0], [0.0, 0.0], Time(sec=1))
    return input_faults.break_joint_state(msg, fault)


@pytest.mark.parametrize(
    'fault, reason', [('missing_joint', 'missing joints'), ('nan', 'non-finite')]
)
def test_bad_joint_states_are_refused(fault, reason):
    history = ObservationHistory(['top'], ['shoulder', 'elbow'], 2, 0.1, lambda c, f: np.zeros(4))
    msg = joint_state(fault)
    with pytest.raises(InputRejected, match=reason):
        history.add_joint_state(1.0, list(msg.name), list(msg.position))


@pytest.mark.parametrize('fault', ['extra_joint', 'reordered'])
def test_legal_joint_states_are_matched_by_name(fault):
    history = ObservationHistory(['top'], ['shoulder', 'elbow'], 2, 0.1, lambda c, f: np.zeros(4))
    msg = joint_state(fault)
    assert list(msg.name) != ['shoulder', 'elbow']
    history.add_joint_state(1.0, list(msg.name), list(msg.position))
    np.testing.assert_allclose(history.latest_joint_positions(), [0.5, -1.0])


def test_faulty_stamps_are_never_newer_than_the_last_good_one_or_are_too_old():
    stamper, delay = input_faults.FrameStamper(), 1.0
    assert stamper.stamp(10.0, 'none', delay) == 10.0
    assert [stamper.stamp(t, 'out_of_order', delay) for t in (10.1, 10.2)] == pytest.approx(
        [9.999, 9.899]
    )
    assert stamper.stamp(10.3, 'none', delay) == 10.3
    assert [stamper.stamp(t, 'duplicate', delay) for t in (10.4, 10.5)] == [10.3, 10.3]
    assert stamper.stamp(10.6, 'late', delay) == pytest.approx(9.6)
    assert 'late' in input_faults.STAMP_FAULTS and 'sideways' not in input_faults.STAMP_FAULTS
