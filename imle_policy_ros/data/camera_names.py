# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Dataset camera names from image topic names.

The policy node matches cameras by position, not by name: `image_topics[i]` feeds the
bundle's camera i, and the bundle's cameras are the dataset's, in meta.json order, which
is the order of `--image-topic` at conversion. So the name is a label for people and file
names; what must agree is the order. The label is the topic's most specific word:

    /camera/top/image_raw                -> top     (the simulator's camera, as sim-demos names it)
    /camera/camera/color/image_raw       -> color   (realsense2_camera's default)
    /wrist_cam/image_rect/compressed     -> wrist_cam
    /left/color/image_raw, /right/color/image_raw -> left_color, right_color

i.e. transport and image-stream suffixes and the generic word "camera" are dropped, the
last remaining word is taken, and words from further up are prefixed only while two
topics would otherwise get the same name.
"""

from __future__ import annotations

import re
from typing import Sequence

# Trailing topic words that say what kind of image stream it is, not which camera.
_STREAM_WORDS = {
    'image',
    'image_raw',
    'image_rect',
    'image_rect_raw',
    'image_color',
    'image_rect_color',
    'image_mono',
    'image_rect_mono',
    'compressed',
    'compresseddepth',
    'theora',
    'zstd',
}
_GENERIC = {'camera', 'cameras', 'cam'}
_INVALID = re.compile(r'[^A-Za-z0-9_\-]')


def _words(topic: str) -> list[str]:
    words = [w for w in topic.strip('/').split('/') if w]
    while words and words[-1].lower() in _STREAM_WORDS:
        words.pop()
    return [_INVALID.sub('_', w) for w in words if w.lower() not in _GENERIC]


def camera_names_for_topics(topics: Sequence[str]) -> tuple[str, ...]:
    """
    Return one distinct name per topic (see the module doc).

    ValueError if two topics cannot be told apart, e.g. the same topic twice.
    """
    words = [_words(t) or ['camera'] for t in topics]
    depth = [1] * len(topics)
    while True:
        names = ['_'.join(w[-d:]) for w, d in zip(words, depth)]
        clashes = {n for n in names if names.count(n) > 1}
        if not clashes:
            return tuple(names)
        grown = False
        for i, name in enumerate(names):
            if name in clashes and depth[i] < len(words[i]):
                depth[i] += 1
                grown = True
        if not grown:
            raise ValueError(
                f'image topics {list(topics)} give the same camera name {sorted(clashes)}; '
                'name the cameras yourself (--camera-name)'
            )
