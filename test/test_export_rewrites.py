# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Export rewrites: same math as the trained generator, and the bundle's graph uses them."""

from imle_policy_ros.learning.export import check_parity, write_bundle
from imle_policy_ros.learning.export_rewrites import BatchFoldedConv1d, ExpMish, rewrite_for_onnx
from imle_policy_ros.learning.generator import ConditionalUnet1D
from imle_policy_ros.runtime.policy_spec import GENERATOR_FILE
import onnx
import pytest
import torch
from torch import nn


def test_exp_mish_matches_torch_mish_and_stays_finite_in_fp16():
    x = torch.linspace(-100, 100, 200_001)
    torch.testing.assert_close(ExpMish()(x), nn.functional.mish(x), atol=2e-6, rtol=0)
    half = ExpMish()(x.half())
    assert torch.isfinite(
        half
    ).all()  # e^x overflows to inf in fp16; the factor must become 1, not nan
    torch.testing.assert_close(half[x > 20].float(), x[x > 20].half().float())


@pytest.mark.parametrize(
    'conv',
    [
        nn.Conv1d(6, 10, 5, padding=2),
        nn.Conv1d(6, 6, 3, stride=2, padding=1),
        nn.ConvTranspose1d(6, 6, 4, stride=2, padding=1),
        nn.Conv1d(6, 4, 1),
    ],
)
def test_batch_folded_conv_equals_the_conv(conv):
    x = torch.randn(7, 6, 8)
    with torch.no_grad():
        torch.testing.assert_close(BatchFoldedConv1d(conv)(x), conv(x), atol=1e-5, rtol=1e-5)


def test_rewrite_shares_weights_and_keeps_outputs():
    torch.manual_seed(0)
    unet = ConditionalUnet1D(3, 12, (8, 16, 32)).eval()
    fast = rewrite_for_onnx(unet)
    assert not any(isinstance(m, nn.Mish) for m in fast.modules())
    wrapped = {id(m.conv) for m in fast.modules() if isinstance(m, BatchFoldedConv1d)}
    convs = [m for m in fast.modules() if type(m) in (nn.Conv1d, nn.ConvTranspose1d)]
    assert convs and all(id(c) in wrapped for c in convs)
    assert {p.data_ptr() for p in fast.parameters()} == {p.data_ptr() for p in unet.parameters()}
    assert any(isinstance(m, nn.Mish) for m in unet.modules())  # the original is untouched
    cond, noise = torch.randn(9, 12), torch.randn(9, 16, 3)
    with torch.no_grad():
        torch.testing.assert_close(fast(cond, noise), unet(cond, noise), atol=1e-5, rtol=1e-5)


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
def test_bundle_generator_is_exported_with_the_rewrites(tmp_path):
    from imle_policy_ros.benchmarks.models import bench_spec, build_network, CONFIGS

    net = build_network(CONFIGS['tiny'])
    write_bundle(net, bench_spec(CONFIGS['tiny'], net), tmp_path)
    graph = onnx.load(str(tmp_path / GENERATOR_FILE)).graph
    ops = {n.op_type for n in graph.node}
    assert 'Softplus' not in ops and 'Exp' in ops  # ExpMish
    conv_weights = [
        i for n in graph.node if n.op_type in ('Conv', 'ConvTranspose') for i in n.input[1:2]
    ]
    dims = {len(init.dims) for init in graph.initializer if init.name in conv_weights}
    assert dims == {4}  # every UNet conv runs as a 2-D conv over the folded batch
    report = check_parity(net, tmp_path)
    assert report.worst() < 1e-5
