# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Encoder and generator: shapes, norm layers, input contract, ONNX parity, trainability."""

from imle_policy_ros.learning.encoder import ResNet18Encoder
from imle_policy_ros.learning.generator import ConditionalUnet1D
import numpy as np
import onnxruntime as ort
import pytest
import torch
from torch import nn


def _images(batch, height, width, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (batch, height, width, 3), dtype=torch.uint8, generator=g)


def _count(module):
    return sum(p.numel() for p in module.parameters())


# ---------------------------------------------------------------- encoder


@pytest.mark.parametrize(
    'width,hw', [(8, (32, 32)), (16, (48, 64)), (8, (96, 128)), (64, (32, 32)), (8, (20, 13))]
)
def test_encoder_output_shape(width, hw):
    encoder = ResNet18Encoder(width=width)
    assert encoder.feature_dim == 8 * width
    with torch.no_grad():
        features = encoder(_images(3, *hw))
    assert features.shape == (3, 8 * width)
    assert features.dtype == torch.float32 and torch.isfinite(features).all()


def test_encoder_default_is_resnet18_sized():
    encoder = ResNet18Encoder()
    assert encoder.feature_dim == 512
    # torchvision's resnet18 minus its fc layer; GroupNorm has as many parameters as BatchNorm.
    assert _count(encoder) == 11_176_512


def test_encoder_uses_groupnorm_with_16_channels_per_group():
    encoder = ResNet18Encoder(width=64)
    norms = [m for m in encoder.modules() if isinstance(m, nn.GroupNorm)]
    assert len(norms) == 1 + 8 * 2 + 3  # stem, two per block, three projection shortcuts
    for norm in norms:
        assert norm.num_groups == norm.num_channels // 16
    narrow = [m for m in ResNet18Encoder(width=8).modules() if isinstance(m, nn.GroupNorm)]
    assert {(m.num_channels, m.num_groups) for m in narrow} == {(8, 1), (16, 1), (32, 2), (64, 4)}


def test_no_batchnorm_anywhere():
    batchnorm = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
    for net in (
        ResNet18Encoder(width=8),
        ConditionalUnet1D(3, 10, (16, 32)),
        ConditionalUnet1D(3, 10, (16, 32), timestep_embed_dim=8),
    ):
        assert not any(isinstance(m, batchnorm) for m in net.modules())
        assert any(isinstance(m, nn.GroupNorm) for m in net.modules())


def test_encoder_takes_uint8_or_float_0_255_and_is_batch_independent():
    encoder = ResNet18Encoder(width=8).eval()
    images = _images(4, 32, 40)
    with torch.no_grad():
        from_uint8 = encoder(images)
        from_float = encoder(images.float())
        one_by_one = torch.cat([encoder(images[i, None]) for i in range(4)])
    torch.testing.assert_close(from_uint8, from_float)
    torch.testing.assert_close(from_uint8, one_by_one, atol=1e-5, rtol=1e-5)


def test_encoder_refuses_channels_first():
    with pytest.raises(ValueError, match=r'\[B, H, W, 3\]'):
        ResNet18Encoder(width=8)(torch.zeros(1, 3, 32, 32, dtype=torch.uint8))


# ---------------------------------------------------------------- generator


@pytest.mark.parametrize(
    'down_dims,horizon', [((16, 32), 8), ((16, 32, 64), 16), ((8,), 5), ((16, 32, 64, 64), 24)]
)
def test_generator_output_shape(down_dims, horizon):
    net = ConditionalUnet1D(action_dim=7, condition_dim=20, down_dims=down_dims)
    with torch.no_grad():
        out = net(torch.randn(3, 20), torch.randn(3, horizon, 7))
    assert out.shape == (3, horizon, 7)


def test_generator_parameter_counts_match_the_reference_topology():
    # Pinned: both equal the reference GeneratorConditionalUnet1D built with the same
    # arguments (condition = 2 steps x (512-d features + 7 joints)).
    assert _count(ConditionalUnet1D(7, 2 * (512 + 7), (32, 64, 128))) == 2_821_767
    assert _count(ConditionalUnet1D(7, 2 * (512 + 7))) == 75_904_007


def test_generator_output_depends_on_condition_and_noise():
    torch.manual_seed(0)
    net = ConditionalUnet1D(2, 6, (16, 32)).eval()
    c, z = torch.randn(1, 6), torch.randn(1, 8, 2)
    with torch.no_grad():
        base = net(c, z)
        assert not torch.allclose(base, net(c + 1, z))
        assert not torch.allclose(base, net(c, z + 1))


def test_generator_validates_inputs():
    net = ConditionalUnet1D(7, 20, (16, 32, 64))
    with pytest.raises(ValueError, match='divisible by 4'):
        net(torch.zeros(1, 20), torch.zeros(1, 10, 7))
    with pytest.raises(ValueError, match='noise'):
        net(torch.zeros(1, 20), torch.zeros(1, 16, 6))
    with pytest.raises(ValueError, match='condition'):
        net(torch.zeros(1, 21), torch.zeros(1, 16, 7))
    with pytest.raises(ValueError, match='timestep'):
        net(torch.zeros(1, 20), torch.zeros(1, 16, 7), torch.zeros(1))
    with pytest.raises(ValueError, match='n_groups'):
        ConditionalUnet1D(7, 20, (12, 32))


def test_generator_with_timestep_embedding():
    torch.manual_seed(0)
    net = ConditionalUnet1D(4, 10, (16, 32), timestep_embed_dim=8).eval()
    c, z = torch.randn(5, 10), torch.randn(5, 8, 4)
    with torch.no_grad():
        out = net(c, z, torch.arange(5))
        assert out.shape == (5, 8, 4)
        # A scalar step applies to the whole batch.
        torch.testing.assert_close(net(c, z, 3), net(c, z, torch.full((5,), 3)))
        assert not torch.allclose(net(c, z, 0), net(c, z, 50))
    with pytest.raises(ValueError, match='pass timestep'):
        net(c, z)
    with pytest.raises(ValueError, match='even'):
        ConditionalUnet1D(4, 10, (16, 32), timestep_embed_dim=7)


def test_generator_overfits_one_chunk():
    # One fixed condition -> one fixed chunk, fresh noise every step: the generator must
    # learn to produce the chunk whatever the noise (the unimodal case of IMLE).
    torch.manual_seed(0)
    net = ConditionalUnet1D(action_dim=2, condition_dim=4, down_dims=(16, 32), kernel_size=3)
    condition = torch.randn(1, 4).expand(8, 4)
    chunk = torch.linspace(-1, 1, 16).reshape(1, 8, 2)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(200):
        loss = (net(condition, torch.randn(8, 8, 2)) - chunk).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        error = (net(condition, torch.randn(8, 8, 2)) - chunk).abs().max().item()
    assert error < 0.05  # typically ~0.015


# ---------------------------------------------------------------- ONNX


# The legacy exporter is deprecated (and GroupNorm's shape check warns under the tracer);
# it is the one the bundle uses, so the warnings are expected here.
quiet_export = pytest.mark.filterwarnings(
    'ignore::DeprecationWarning', 'ignore::torch.jit.TracerWarning'
)


def _export(model, args, path, input_names):
    model.eval()
    torch.onnx.export(
        model,
        args,
        str(path),
        dynamo=False,
        opset_version=17,
        input_names=input_names,
        output_names=['out'],
        dynamic_axes={name: {0: 'batch'} for name in [*input_names, 'out']},
    )
    return ort.InferenceSession(str(path), providers=['CPUExecutionProvider'])


@quiet_export
def test_encoder_onnx_parity(tmp_path):
    torch.manual_seed(0)
    encoder = ResNet18Encoder(width=8)
    session = _export(encoder, (_images(1, 40, 56),), tmp_path / 'encoder.onnx', ['image'])
    assert session.get_inputs()[0].type == 'tensor(uint8)'
    for batch in (1, 7):
        images = _images(batch, 40, 56, seed=batch)
        with torch.no_grad():
            expected = encoder(images).numpy()
        got = session.run(None, {'image': images.numpy()})[0]
        assert got.shape == (batch, 64)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)


@quiet_export
@pytest.mark.parametrize('timestep_embed_dim', [0, 16])
def test_generator_onnx_parity(tmp_path, timestep_embed_dim):
    torch.manual_seed(0)
    net = ConditionalUnet1D(7, 30, (16, 32, 64), timestep_embed_dim=timestep_embed_dim)
    names = ['condition', 'noise'] + (['timestep'] if timestep_embed_dim else [])

    def inputs(batch):
        g = torch.Generator().manual_seed(batch)
        values = [torch.randn(batch, 30, generator=g), torch.randn(batch, 16, 7, generator=g)]
        if timestep_embed_dim:
            values.append(torch.randint(0, 100, (batch,), generator=g))
        return values

    session = _export(net, tuple(inputs(1)), tmp_path / 'generator.onnx', names)
    for batch in (1, 7):
        values = inputs(batch)
        with torch.no_grad():
            expected = net(*values).numpy()
        got = session.run(None, {n: v.numpy() for n, v in zip(names, values)})[0]
        assert got.shape == (batch, 16, 7)
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=0)
