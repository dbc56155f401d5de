# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`quantize`: the bundled model becomes an int8 bundle that acts like the fp32 one.

The runtime runs it and its chunks stay close; a bundle that fails the gate, or a
precision the machine cannot run, leaves nothing behind and says why.
"""

import json
from pathlib import Path

from imle_policy_ros.cli import main as cli
from imle_policy_ros.data.episode_store import DatasetMeta, Episode, write_dataset_atomically
from imle_policy_ros.quantization.calibration import CalibrationError, load_calibration
from imle_policy_ros.quantization.config import QuantizeConfig
from imle_policy_ros.quantization.quantize import QualityGateFailed, quantize
from imle_policy_ros.runtime import load_bundle, OnnxPolicy
from imle_policy_ros.runtime.policy_spec import BundleError
import numpy as np
import pytest

MODEL = Path(__file__).resolve().parents[1] / 'models' / 'reach_default'


@pytest.fixture(scope='module')
def int8_bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp('quantize') / 'reach_int8'
    rc = cli(
        [
            'quantize',
            str(MODEL),
            '-o',
            str(out),
            '--eval-episodes',
            '4',
            '--simulator-episodes',
            '8',
            '--calibration-windows',
            '64',
            '--held-out-windows',
            '32',
        ]
    )
    assert rc == 0
    return out


def test_the_int8_bundle_declares_its_precision_and_calibration(int8_bundle):
    spec = json.loads((int8_bundle / 'policy.json').read_text())
    assert spec['format_version'] == 2
    assert spec['onnx']['precision'] == 'int8'
    record = spec['onnx']['quantization']
    assert len(record['calibration_sha256']) == 64
    assert record['calibration_source'].startswith('sim: 8 expert demos')
    assert (record['calibration_episodes'], record['held_out_episodes']) == (6, 2)
    gate = record['gate']
    assert 0 < gate['action_error']['ratio'] <= 0.5
    assert gate['closed_loop']['episodes'] == 4
    assert set(gate['closed_loop']['fp32']) >= {'success_rate', 'mode_share'}


def test_int8_weights_are_a_quarter_and_the_chunks_stay_close(int8_bundle):
    for name in ('encoder.onnx', 'generator.onnx'):
        assert (int8_bundle / name).stat().st_size < 0.4 * (MODEL / name).stat().st_size
    fp32, int8 = load_bundle(MODEL), load_bundle(int8_bundle)
    assert int8.spec.precision == 'int8' and fp32.spec.precision == 'fp32'
    rng = np.random.default_rng(3)
    frames = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(2)]
    state = np.array([[0.3, -0.8], [0.32, -0.78]], np.float32)
    chunks = []
    for bundle in (fp32, int8):
        policy = OnnxPolicy(bundle, seed=5)
        features = policy.encode_batch(frames, [0, 0]).reshape(2, 1, -1)
        chunks.append(policy.act(features, state, 16).samples_normalized)
    error = np.abs(chunks[0] - chunks[1])
    assert np.median(error) < 0.05  # normalized units: 2.5% of the range
    assert not np.array_equal(chunks[0], chunks[1])  # it really is another network


def test_a_bundle_that_fails_the_gate_leaves_nothing(tmp_path):
    out = tmp_path / 'rejected'
    cfg = QuantizeConfig(
        bundle=str(MODEL),
        output=str(out),
        max_error_ratio=0.0,
        eval_episodes=0,
        simulator_episodes=4,
        calibration_windows=16,
        held_out_windows=16,
    )
    with pytest.raises(QualityGateFailed, match='mean action error .* shoulder mean'):
        quantize(cfg)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left


def test_precisions_this_machine_cannot_run_are_refused_with_the_reason(tmp_path, capsys):
    assert cli(['quantize', str(MODEL), '-o', str(tmp_path / 'b'), '--precision', 'bf16']) == 1
    assert 'no bf16 kernels' in capsys.readouterr().err
    # fp16 converts, but ONNX Runtime's CPU provider would cast every layer back to fp32.
    cfg = QuantizeConfig(
        bundle=str(MODEL), output=str(tmp_path / 'h'), precision='fp16', eval_episodes=0
    )
    with pytest.raises(BundleError, match='fp16 bundle.*GPU provider'):
        quantize(cfg)
    assert not (tmp_path / 'h').exists()


def test_an_int8_bundle_is_not_quantized_again(int8_bundle, tmp_path, capsys):
    assert cli(['quantize', str(int8_bundle), '-o', str(tmp_path / 'again')]) == 1
    assert 'already int8' in capsys.readouterr().err


def test_calibration_data_must_be_the_bundles_and_is_split_by_episode(tmp_path):
    spec = load_bundle(MODEL).spec
    meta = DatasetMeta(
        rate_hz=10.0,
        cameras=[{'name': 'top', 'height': 64, 'width': 64}],
        state_names=['a', 'b', 'c'],
        action_names=['a', 'b', 'c'],
        action_kind='joint_position',
    )
    rng = np.random.default_rng(0)
    episodes = [
        Episode(
            images={'top': rng.integers(0, 256, (10, 64, 64, 3), dtype=np.uint8)},
            states=np.zeros((10, 3), np.float32),
            actions=np.zeros((10, 3), np.float32),
            stamps=np.arange(10) / 10.0,
        )
        for _ in range(4)
    ]
    wrong = write_dataset_atomically(tmp_path / 'wrong', meta, episodes)
    with pytest.raises(CalibrationError, match=r"states are \['a', 'b', 'c'\]"):
        load_calibration(wrong.root, spec, 16, 16)
    meta = DatasetMeta(
        **{**meta.__dict__, 'state_names': spec.state_names, 'action_names': spec.action_names}
    )
    right = write_dataset_atomically(
        tmp_path / 'right',
        meta,
        [
            Episode(
                **{
                    **e.__dict__,
                    'states': np.full((10, 2), i, np.float32),
                    'actions': np.zeros((10, 2), np.float32),
                }
            )
            for i, e in enumerate(episodes)
        ],
    )
    data = load_calibration(right.root, spec, 100, 100)
    assert data.episodes == (3, 1)
    # every held-out window comes from the last episode (state i), none from the others
    assert set(np.unique(data.held_out.states)) == {3.0}
    assert set(np.unique(data.calibration.states)) == {0.0, 1.0, 2.0}
    assert data.calibration.frames.shape == (30, 2, 1, 64, 64, 3)


def test_a_precision_this_runtime_does_not_know_is_refused(tmp_path, int8_bundle):
    import shutil

    copy = tmp_path / 'int4'
    shutil.copytree(int8_bundle, copy)
    spec = json.loads((copy / 'policy.json').read_text())
    spec['onnx']['precision'] = 'int4'
    (copy / 'policy.json').write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="precision 'int4' is not one of"):
        load_bundle(copy)
