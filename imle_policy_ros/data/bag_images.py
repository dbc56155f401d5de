# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Camera messages from a bag -> the dataset's uint8 RGB frames of one size.

Pixel decoding is cameras/image_codec's (one codec for live nodes and bags), and the depth
mapping and the resize are runtime/preprocess's (one for training data and deployment):
a depth image (16UC1 millimetres, 32FC1 metres) becomes grey that is white at depth_max,
resized with INTER_NEAREST; colour is resized with INTER_AREA when shrinking and
INTER_LINEAR when enlarging. A camera recorded as depth is marked so in the dataset, and
the exported bundle tells the node to apply the same mapping to the live depth topic.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .bag_messages import COMPRESSED_IMAGE, IMAGE
from ..cameras.image_codec import decode_image_message
from ..runtime.preprocess import depth_to_grey, resize_frame

IMAGE_TYPES = (IMAGE, COMPRESSED_IMAGE)


def frame_decoder(
    height: int, width: int, depth_max: float
) -> Callable[[str, object], tuple[np.ndarray, bool]]:
    """
    Return a frame decoder for bag_reader.read_topics.

    decode(msgtype, msg) -> (uint8 RGB [height, width, 3], is_depth).
    """
    if height <= 0 or width <= 0:
        raise ValueError(f'image size must be positive, got {height}x{width}')
    if not depth_max > 0:
        raise ValueError(f'depth_max must be > 0 m, got {depth_max}')

    def decode(msgtype: str, msg) -> tuple[np.ndarray, bool]:
        frame = decode_image_message(msg, compressed=msgtype == COMPRESSED_IMAGE)
        is_depth = frame.ndim == 2
        if is_depth:
            frame = depth_to_grey(frame, depth_max)
        return resize_frame(frame, height, width, nearest=is_depth), is_depth

    return decode
