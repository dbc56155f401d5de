# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""create_session: provider names, ordered fallback to CPU, thread settings."""

from __future__ import annotations

import logging

from bundle_factory import make_tiny_bundle
from imle_policy_ros.runtime import create_session, sessions
import onnxruntime as ort
import pytest


@pytest.fixture(scope='module')
def model_path(tmp_path_factory):
    return make_tiny_bundle(tmp_path_factory.mktemp('sessions')) / 'generator.onnx'


def test_missing_gpu_providers_fall_back_to_cpu_with_warning(model_path, caplog):
    with caplog.at_level(logging.WARNING, logger=sessions.__name__):
        session, active = create_session(model_path, ('tensorrt', 'cuda', 'cpu'))
    assert active == 'CPUExecutionProvider' == session.get_providers()[0]
    if 'CUDAExecutionProvider' not in ort.get_available_providers():
        assert 'CUDAExecutionProvider is not available' in caplog.text
        assert 'TensorrtExecutionProvider is not available' in caplog.text


def test_full_and_mixed_case_names(model_path):
    assert create_session(model_path, ['CPUExecutionProvider'])[1] == 'CPUExecutionProvider'
    assert create_session(model_path, ['CPU'])[1] == 'CPUExecutionProvider'
    assert create_session(model_path, ['cpuexecutionprovider'])[1] == 'CPUExecutionProvider'


def test_gpu_only_request_still_runs_on_cpu(model_path, caplog):
    with caplog.at_level(logging.WARNING, logger=sessions.__name__):
        _, active = create_session(model_path, ['cuda'])
    if 'CUDAExecutionProvider' not in ort.get_available_providers():
        assert active == 'CPUExecutionProvider'
        assert 'not on the preferred CUDAExecutionProvider' in caplog.text


def test_provider_that_fails_to_create_falls_back(model_path, monkeypatch, caplog):
    # Pretend CUDA is installed but its libraries fail when the session is built.
    real_session = ort.InferenceSession

    def failing(path, sess_options=None, providers=None):
        if providers[0] == 'CUDAExecutionProvider':
            raise RuntimeError('libcudnn.so.9: cannot open shared object file')
        return real_session(path, sess_options=sess_options, providers=providers)

    monkeypatch.setattr(
        sessions.ort,
        'get_available_providers',
        lambda: ['CUDAExecutionProvider', 'CPUExecutionProvider'],
    )
    monkeypatch.setattr(sessions.ort, 'InferenceSession', failing)
    with caplog.at_level(logging.WARNING, logger=sessions.__name__):
        _, active = create_session(model_path, ('cuda', 'cpu'))
    assert active == 'CPUExecutionProvider'
    assert 'libcudnn' in caplog.text and 'falling back to CPUExecutionProvider' in caplog.text


def test_unknown_provider_lists_valid_names(model_path):
    with pytest.raises(ValueError) as info:
        create_session(model_path, ('cuda', 'gpu'))
    message = str(info.value)
    assert "'gpu'" in message and 'tensorrt' in message and 'cpu' in message
    assert 'CUDAExecutionProvider' in message


def test_empty_provider_list(model_path):
    with pytest.raises(ValueError, match='no execution providers'):
        create_session(model_path, [])


def test_session_options():
    options = sessions.session_options(3)
    assert options.intra_op_num_threads == 3
    assert options.graph_optimization_level == ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    assert sessions.session_options(0).intra_op_num_threads == 0
    with pytest.raises(ValueError):
        sessions.session_options(-1)


def test_thread_count_runs(model_path):
    session, _ = create_session(model_path, ['cpu'], intra_op_threads=1)
    assert session.get_session_options().intra_op_num_threads == 1
