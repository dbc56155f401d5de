# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A depth camera from the bag to the arm.

The dataset marks the camera as depth, the bundle carries its grey scale, and the runtime
turns live depth (16UC1 / 32FC1 in metres) into exactly the frames the model was trained
on, refusing the wrong kind of frame.
"""

import dataclasses
import json
from types import SimpleNamespace

from bag_factory import Camera, Recording, write_recording
from imle_policy_ros.cameras.image_codec import decode_image_message, encode_image
from imle_policy_ros.data.bag_dataset import ConversionSettings, convert_bags
from imle_policy_ros.data.bag_images import frame_decoder
from imle_policy_ros.data.bag_messages import IMAGE
from imle_policy_ros.data.bag_reader import BagRejected
from imle_policy_ros.runtime import CameraSpec, prepare_frame
import numpy as np
import pytest

COLOUR, DEPTH = '/camera/color/image_raw', '/camera/depth/image_rect_raw'
DEPTH_MAX = 1.5


def conversion(**overrides) -> ConversionSettings:
    kw = {
        'image_topics': (COLOUR, DEPTH),
        'action_topic': '/joint_trajectory_controller/joint_trajectory',
        'image_size': (8, 8),
        'depth_max': DEPTH_MAX,
    }
    return ConversionSettings(**{**kw, **overrides})


def depth_message(depth_mm: np.ndarray):
    raw = encode_image(depth_mm.astype(np.uint16), '16UC1')
    return SimpleNamespace(
        encoding=raw.encoding,
        height=raw.height,
        width=raw.width,
        step=raw.step,
        data=raw.data,
        is_bigendian=0,
    )


@pytest.fixture(scope='module')
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('depth')
    cameras = [Camera(COLOUR, size=16), Camera(DEPTH, encoding='16UC1', size=16)]
    bags = [
        write_recording(root / f'bag{i}', Recording(duration_s=2.0, cameras=cameras))
        for i in range(2)
    ]
    store, _ = convert_bags(bags, root / 'data', conversion(), progress=False)
    return root, store


def test_the_dataset_marks_the_depth_camera_with_its_scale(dataset):
    root, store = dataset
    assert [(c.name, c.depth_max_m) for c in store.meta.cameras] == [
        ('color', None),
        ('depth', DEPTH_MAX),
    ]
    on_disk = json.loads((root / 'data' / 'meta.json').read_text())['cameras']
    assert [c['depth_max_m'] for c in on_disk] == [None, DEPTH_MAX]


def test_a_camera_that_is_depth_in_one_bag_and_colour_in_another_is_refused(tmp_path):
    depth = write_recording(
        tmp_path / 'a', Recording(cameras=[Camera(COLOUR), Camera(DEPTH, encoding='16UC1')])
    )
    colour = write_recording(tmp_path / 'b', Recording(cameras=[Camera(COLOUR), Camera(DEPTH)]))
    with pytest.raises(BagRejected, match='depth colour.*one kind in every bag'):
        convert_bags([depth, colour], tmp_path / 'data', conversion(), progress=False)
    assert not (tmp_path / 'data').exists()


def test_live_depth_becomes_the_frame_the_dataset_holds():
    """The converter and the runtime map and resize depth the same way, to the pixel."""
    rng = np.random.default_rng(3)
    depth_mm = rng.integers(0, 2500, (40, 52)).astype(np.uint16)
    depth_mm[5:9, 10:20] = 0  # invalid pixels stay black
    message = depth_message(depth_mm)
    stored, is_depth = frame_decoder(24, 32, DEPTH_MAX)(IMAGE, message)
    assert is_depth and stored.shape == (24, 32, 3)
    camera = CameraSpec('depth', 24, 32, crop=(20, 28), depth_max_m=DEPTH_MAX)
    live = prepare_frame(decode_image_message(message, compressed=False), camera)
    trained_on = prepare_frame(
        stored, dataclasses.replace(camera, depth_max_m=None)
    )  # eval's center crop
    np.testing.assert_array_equal(live, trained_on)
    # near is dark, depth_max or farther white, invalid black; nearest resize keeps exact values
    greys = set(np.unique(live))
    assert greys <= {
        int(round(min(mm / 1000 / DEPTH_MAX, 1.0) * 255)) for mm in np.unique(depth_mm)
    }


def test_the_wrong_kind_of_frame_is_refused_with_what_to_do():
    depth_camera = CameraSpec('depth', 8, 8, depth_max_m=DEPTH_MAX)
    with pytest.raises(ValueError, match='depth camera.*point it at the depth topic'):
        prepare_frame(np.zeros((8, 8, 3), np.uint8), depth_camera)
    with pytest.raises(ValueError, match='takes colour images.*not trained on depth'):
        prepare_frame(np.ones((8, 8), np.float32), CameraSpec('color', 8, 8))


def test_the_exported_bundle_takes_live_depth(dataset, tmp_path):
    """
    Dataset -> train (a few steps) -> export.

    policy.json keeps the scale, and the runtime encodes a live depth frame exactly as the
    dataset frame it was trained on.
    """
    from imle_policy_ros.learning.export import export_bundle
    from imle_policy_ros.learning.train import train, TrainConfig
    from imle_policy_ros.runtime import load_bundle, OnnxPolicy

    root, store = dataset
    cfg = TrainConfig(
        dataset=str(root / 'data'),
        output_dir=str(tmp_path / 'run'),
        steps=2,
        batch_size=4,
        obs_horizon=2,
        pred_horizon=8,
        action_horizon=4,
        encoder_width=2,
        down_dims=[8, 16],
        samples_per_example=3,
        progress=False,
    )
    out, _ = export_bundle(train(cfg), tmp_path / 'bundle')
    spec = json.loads((out / 'policy.json').read_text())
    assert [c['depth_max_m'] for c in spec['cameras']] == [None, DEPTH_MAX]
    policy = OnnxPolicy(load_bundle(out))
    depth_mm = np.random.default_rng(4).integers(0, 2000, (16, 16)).astype(np.uint16)
    message = depth_message(depth_mm)
    stored, _ = frame_decoder(8, 8, DEPTH_MAX)(IMAGE, message)
    live = policy.encode('depth', decode_image_message(message, compressed=False))
    colour_view = OnnxPolicy(
        dataclasses.replace(policy.bundle, spec=policy.bundle.spec.taking_dataset_frames())
    )
    np.testing.assert_array_equal(live, colour_view.encode('depth', stored))
    with pytest.raises(ValueError, match='depth camera'):
        policy.encode('depth', stored)  # a grey picture is not depth
