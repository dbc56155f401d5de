# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
load_bundle: a good bundle loads; every kind of bad bundle is refused.

The refusal comes with a message that names the file and the problem.
"""

from __future__ import annotations

import json
import re

from bundle_factory import CAMERA, FEATURE_DIM, make_tiny_bundle
from imle_policy_ros.runtime import BundleError, CameraSpec, load_bundle, SUPPORTED_OPSETS
from imle_policy_ros.runtime.onnx_opset import read_default_opset, read_opsets
import pytest


def refused(path, *patterns, providers=('cpu',)) -> str:
    """Load, expect BundleError, check each regex pattern appears in its message."""
    with pytest.raises(BundleError) as info:
        load_bundle(path, providers=providers)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), f'{pattern!r} not in: {message}'
    return message


def test_good_bundle_loads(tmp_path):
    path = make_tiny_bundle(tmp_path)
    bundle = load_bundle(path)
    assert bundle.path == path
    assert bundle.spec.feature_dim == FEATURE_DIM
    assert bundle.encoder_provider == bundle.generator_provider == 'CPUExecutionProvider'
    assert bundle.model_input_hw == CAMERA.model_input_hw
    assert (bundle.image_input, bundle.features_output) == ('image', 'features')
    assert (bundle.condition_input, bundle.noise_input, bundle.actions_output) == (
        'condition',
        'noise',
        'actions',
    )


def test_missing_directory(tmp_path):
    refused(tmp_path / 'nope', r'nope', r'does not exist')


def test_missing_policy_json(tmp_path):
    refused(make_tiny_bundle(tmp_path, omit_spec=True), r'policy\.json', r'missing')


def test_invalid_json(tmp_path):
    refused(make_tiny_bundle(tmp_path, spec_text='{not json'), r'policy\.json', r'not valid JSON')


def test_unsupported_format_version(tmp_path):
    refused(make_tiny_bundle(tmp_path, format_version=99), r'policy\.json', r'format_version 99')


def test_cameras_must_share_input_size(tmp_path):
    cams = (CAMERA, CameraSpec('side', 16, 20))
    # The factory exports the encoder for the first camera's size; the spec check comes first.
    refused(
        make_tiny_bundle(tmp_path, cameras=cams), r'policy\.json', r'different model input sizes'
    )


@pytest.mark.parametrize('file', ['encoder.onnx', 'generator.onnx'])
def test_missing_onnx_file(tmp_path, file):
    refused(make_tiny_bundle(tmp_path, omit_files=(file,)), re.escape(file), r'missing')


@pytest.mark.parametrize('file', ['encoder.onnx', 'generator.onnx'])
def test_sha256_mismatch(tmp_path, file):
    refused(make_tiny_bundle(tmp_path, tamper=(file,)), re.escape(file), r'sha256 mismatch')


def test_missing_sha256_entry(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, drop_sha=('generator.onnx',)),
        r'generator\.onnx',
        r'no sha256 entry',
    )


def test_opset_mismatch_with_policy_json(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, export_opset=17, spec_opset=16),
        r'encoder\.onnx',
        r'opset 17 does not match onnx\.opset 16',
    )


@pytest.mark.parametrize('opset', [12, 22])
def test_unsupported_opset(tmp_path, opset):
    assert opset not in SUPPORTED_OPSETS
    refused(
        make_tiny_bundle(tmp_path, export_opset=opset),
        r'encoder\.onnx',
        rf'opset {opset} is not supported',
    )


def test_corrupt_bytes_with_matching_hash(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, corrupt={'generator.onnx': 'bytes'}),
        r'generator\.onnx',
        r'not a parseable ONNX model',
    )


def test_ort_cannot_load(tmp_path):
    # Protobuf framing intact (opset readable), but the graph names an op ORT does not know.
    path = make_tiny_bundle(tmp_path, corrupt={'generator.onnx': 'graph'})
    assert read_default_opset(path / 'generator.onnx') == 17
    refused(path, r'generator\.onnx', r'ONNX Runtime cannot load it')


def test_wrong_feature_dim(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, model_feature_dim=FEATURE_DIM + 1),
        r'encoder\.onnx',
        r"output 'features'",
        r'axis 1 is 9',
    )


def test_wrong_action_dim(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, model_action_dim=3),
        r'generator\.onnx',
        r"'noise'",
        r'axis 2 is 3',
    )


def test_wrong_pred_horizon(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, model_pred_horizon=12),
        r'generator\.onnx',
        r"'noise'",
        r'axis 1 is 12',
    )


def test_fixed_generator_batch(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, fixed_generator_batch=True),
        r'generator\.onnx',
        r'batch dimension fixed to 2',
    )


def test_generator_producing_nan(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, generator_nan=True),
        r'generator\.onnx',
        r'test inference produced non-finite values',
    )


def test_encoder_producing_nan(tmp_path):
    refused(
        make_tiny_bundle(tmp_path, encoder_nan=True),
        r'encoder\.onnx',
        r'test inference produced non-finite values',
    )


def test_unknown_provider_is_a_config_error_not_a_bundle_error(tmp_path):
    with pytest.raises(ValueError, match='unknown execution provider') as info:
        load_bundle(make_tiny_bundle(tmp_path), providers=('warp-drive',))
    assert not isinstance(info.value, BundleError)


def test_provider_fallback_in_bundle(tmp_path):
    bundle = load_bundle(make_tiny_bundle(tmp_path), providers=('tensorrt', 'cuda', 'cpu'))
    assert bundle.generator_provider == 'CPUExecutionProvider'


# ---- the opset reader alone ------------------------------------------------------------


def test_read_opsets_matches_onnx_package(tmp_path):
    onnx = pytest.importorskip('onnx')
    path = make_tiny_bundle(tmp_path, export_opset=13) / 'encoder.onnx'
    model = onnx.load(str(path))
    expected = {
        ('' if o.domain in ('', 'ai.onnx') else o.domain): o.version for o in model.opset_import
    }
    assert read_opsets(path) == expected
    assert read_default_opset(path) == 13


def test_read_opset_of_hand_built_model_with_custom_domain(tmp_path):
    onnx = pytest.importorskip('onnx')
    from onnx import helper

    graph = helper.make_graph(
        [helper.make_node('Identity', ['x'], ['y'])],
        'g',
        [helper.make_tensor_value_info('x', onnx.TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info('y', onnx.TensorProto.FLOAT, [1])],
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid('ai.onnx', 19), helper.make_opsetid('com.example', 3)],
    )
    path = tmp_path / 'm.onnx'
    path.write_bytes(model.SerializeToString())
    assert read_opsets(path) == {'': 19, 'com.example': 3}


@pytest.mark.parametrize(
    'data', [b'', b'\x00\x01\x02', b'\x42' * 10, json.dumps({'a': 1}).encode()]
)
def test_opset_reader_rejects_non_models(tmp_path, data):
    path = tmp_path / 'x.onnx'
    path.write_bytes(data)
    with pytest.raises(BundleError, match=r'x\.onnx.*not a parseable ONNX model'):
        read_default_opset(path)


def test_opset_reader_rejects_truncated_model(tmp_path):
    good = (make_tiny_bundle(tmp_path) / 'encoder.onnx').read_bytes()
    path = tmp_path / 'cut.onnx'
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(BundleError, match='not a parseable'):
        read_default_opset(path)
