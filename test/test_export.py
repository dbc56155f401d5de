# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Export: a checkpoint becomes a bundle the runtime accepts and that reproduces torch."""

import json

from imle_policy_ros.cli import main as cli
from imle_policy_ros.data.episode_store import DatasetMeta, Episode, write_dataset_atomically
from imle_policy_ros.learning.export import export_bundle, ExportError, load_checkpoint_network
from imle_policy_ros.learning.train import train, TrainConfig
from imle_policy_ros.runtime import load_bundle, OnnxPolicy
import numpy as np
import pytest
import torch


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Train a few steps on a two-camera dataset with random frames, 3 joints, obs_horizon 2."""
    root = tmp_path_factory.mktemp('export')
    rng = np.random.default_rng(0)
    meta = DatasetMeta(
        rate_hz=15.0,
        cameras=[
            {'name': 'front', 'height': 20, 'width': 20},
            {'name': 'wrist', 'height': 20, 'width': 20},
        ],
        state_names=['j1', 'j2', 'j3'],
        action_names=['j1', 'j2', 'j3'],
        action_kind='joint_position',
    )

    def episode(i, length=12):
        return Episode(
            images={
                c: rng.integers(0, 256, (length, 20, 20, 3), dtype=np.uint8)
                for c in ('front', 'wrist')
            },
            states=rng.uniform(-1, 1, (length, 3)).astype(np.float32),
            actions=rng.uniform(-2, 2, (length, 3)).astype(np.float32),
            stamps=np.arange(length) / 15.0,
            name=f'ep{i}',
        )

    write_dataset_atomically(root / 'data', meta, [episode(i) for i in range(3)])
    cfg = TrainConfig(
        dataset=str(root / 'data'),
        output_dir=str(root / 'run'),
        steps=4,
        batch_size=4,
        obs_horizon=2,
        pred_horizon=8,
        action_horizon=4,
        encoder_width=2,
        down_dims=[8, 16],
        crop=[16, 16],
        samples_per_example=3,
        progress=False,
    )
    return train(cfg)


def test_bundle_matches_checkpoint_and_dataset(checkpoint, tmp_path):
    out, report = export_bundle(checkpoint, tmp_path / 'bundle')
    assert report.worst() <= 1e-4
    spec = json.loads((out / 'policy.json').read_text())
    assert [c['name'] for c in spec['cameras']] == ['front', 'wrist']
    assert spec['cameras'][0]['crop'] == [16, 16]
    assert spec['state']['names'] == ['j1', 'j2', 'j3']
    assert spec['obs_horizon'] == 2 and spec['pred_horizon'] == 8 and spec['action_horizon'] == 4
    assert spec['dt'] == pytest.approx(1 / 15)
    assert spec['training']['steps'] == 4 and spec['training']['objective'] == 'rs_imle'
    assert len(spec['training']['data_hash']) == 64
    assert set(spec['onnx']['sha256']) == {'encoder.onnx', 'generator.onnx'}
    ckpt = torch.load(checkpoint, weights_only=False)
    assert spec['normalization']['action'] == ckpt['action_stats']
    load_bundle(out)


def test_runtime_condition_equals_training_condition(checkpoint, tmp_path):
    """
    The runtime rebuilds the condition from per-frame features.

    It must be the vector the network was trained on, camera order and state normalization
    included.
    """
    out, _ = export_bundle(checkpoint, tmp_path / 'bundle')
    net, ckpt = load_checkpoint_network(checkpoint)
    policy = OnnxPolicy(load_bundle(out))
    rng = np.random.default_rng(5)
    # frames at the dataset's size: the runtime center-crops them to 16x16 as training did
    frames = {c: rng.integers(0, 256, (2, 20, 20, 3), dtype=np.uint8) for c in ('front', 'wrist')}
    joints = rng.uniform(-1, 1, (2, 3)).astype(np.float32)
    features = np.stack(
        [[policy.encode(c, frames[c][t]) for c in ('front', 'wrist')] for t in range(2)]
    )
    runtime_cond = policy.condition(features, joints)
    state = policy.bundle.spec.state_stats.normalize(joints)
    with torch.no_grad():
        torch_cond = net.condition(
            {c: torch.from_numpy(f[:, 2:18, 2:18].copy())[None] for c, f in frames.items()},
            torch.from_numpy(state)[None],
        )[0].numpy()
    np.testing.assert_allclose(runtime_cond, torch_cond, atol=1e-4)


def test_failed_parity_leaves_destination_untouched(checkpoint, tmp_path):
    with pytest.raises(ExportError, match='differs from torch'):
        export_bundle(checkpoint, tmp_path / 'bundle', tolerance=0.0)
    assert not (tmp_path / 'bundle').exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left behind


def test_cli_export_refuses_to_overwrite_without_flag(checkpoint, tmp_path, capsys):
    dest = tmp_path / 'bundle'
    assert cli(['export', str(checkpoint), '-o', str(dest)]) == 0
    assert 'parity' in capsys.readouterr().out
    assert cli(['export', str(checkpoint), '-o', str(dest)]) == 1
    assert '--overwrite' in capsys.readouterr().err
    assert cli(['export', str(checkpoint), '-o', str(dest), '--overwrite']) == 0
