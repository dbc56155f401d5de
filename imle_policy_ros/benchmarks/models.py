# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The networks a benchmark runs: configurations, random-weight builds and their ONNX files.

Speed does not depend on the weights' values, so nothing is trained: the networks keep
their initial weights. The IMLE bundle is written by the package's exporter
(learning.export.write_bundle, rewrites included), so what is timed is what a trained
model would ship as. The diffusion UNet is the same ConditionalUnet1D with Diffusion
Policy's diffusion-step input (sinusoidal embedding + MLP, prepended to the FiLM
condition), exported the same way.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
import warnings

import numpy as np
import torch
from torch import nn

from ..learning.export import OPSET, write_bundle
from ..learning.export_rewrites import rewrite_for_onnx
from ..learning.generator import ConditionalUnet1D
from ..learning.policy_network import ImlePolicyNetwork, NetworkConfig
from ..runtime.normalization import MinMaxStats
from ..runtime.policy_spec import CameraSpec, PolicySpec, TrainingInfo

DIFFUSION_UNET_FILE = 'diffusion_unet.onnx'


@dataclass(frozen=True)
class BenchConfig:
    name: str
    encoder_width: int  # 64: ResNet-18 at full width (512-d features)
    down_dims: tuple[int, ...]
    image_hw: tuple[int, int] = (96, 96)
    state_dim: int = 7
    action_dim: int = 7
    obs_horizon: int = 2
    pred_horizon: int = 16
    action_horizon: int = 8
    step_embed_dim: int = 256  # Diffusion Policy's diffusion_step_embed_dim
    rate_hz: float = 10.0

    def describe(self) -> str:
        return (
            f'{self.name}: ResNet-18/GroupNorm width {self.encoder_width} '
            f'({8 * self.encoder_width}-d features) on {self.image_hw[0]}x{self.image_hw[1]} '
            f'frames, 1 camera; UNet {list(self.down_dims)}; obs_horizon {self.obs_horizon}, '
            f'pred_horizon {self.pred_horizon}, action_dim {self.action_dim}, '
            f'state_dim {self.state_dim}'
        )


CONFIGS = {
    'paper': BenchConfig('paper', encoder_width=64, down_dims=(256, 512, 1024)),
    'small': BenchConfig('small', encoder_width=8, down_dims=(32, 64, 128)),
    # For tests of the benchmark code path only: every call takes well under a millisecond.
    'tiny': BenchConfig(
        'tiny',
        encoder_width=2,
        down_dims=(8, 16),
        image_hw=(32, 32),
        state_dim=3,
        action_dim=3,
        step_embed_dim=8,
    ),
}


def network_config(cfg: BenchConfig) -> NetworkConfig:
    return NetworkConfig(
        camera_names=['front'],
        image_hw=tuple(cfg.image_hw),
        state_dim=cfg.state_dim,
        action_dim=cfg.action_dim,
        obs_horizon=cfg.obs_horizon,
        pred_horizon=cfg.pred_horizon,
        action_horizon=cfg.action_horizon,
        encoder_width=cfg.encoder_width,
        down_dims=list(cfg.down_dims),
    )


def build_network(cfg: BenchConfig, seed: int = 0) -> ImlePolicyNetwork:
    torch.manual_seed(seed)
    return ImlePolicyNetwork(network_config(cfg)).eval()


def build_diffusion_unet(
    net: ImlePolicyNetwork, step_embed_dim: int, seed: int = 1
) -> ConditionalUnet1D:
    """Build the generator's UNet as Diffusion Policy uses it: same sizes, plus the step input."""
    c = net.config
    torch.manual_seed(seed)
    return ConditionalUnet1D(
        c.action_dim,
        c.condition_dim,
        tuple(c.down_dims),
        c.kernel_size,
        c.n_groups,
        timestep_embed_dim=step_embed_dim,
    ).eval()


def bench_spec(cfg: BenchConfig, net: ImlePolicyNetwork) -> PolicySpec:
    """
    Return a policy.json for the benchmark bundle.

    Identity-like normalization, no hashes yet.
    """
    n = net.config
    joints = tuple(f'joint_{i + 1}' for i in range(cfg.state_dim))
    return PolicySpec(
        cameras=(CameraSpec('front', *cfg.image_hw, None),),
        state_names=joints,
        action_names=tuple(f'joint_{i + 1}' for i in range(cfg.action_dim)),
        action_kind='joint_position',
        obs_horizon=n.obs_horizon,
        pred_horizon=n.pred_horizon,
        action_horizon=n.action_horizon,
        dt=1.0 / cfg.rate_hz,
        feature_dim=n.feature_dim,
        state_stats=MinMaxStats(
            np.full(cfg.state_dim, -3.0, np.float32), np.full(cfg.state_dim, 3.0, np.float32)
        ),
        action_stats=MinMaxStats(
            np.full(cfg.action_dim, -3.0, np.float32), np.full(cfg.action_dim, 3.0, np.float32)
        ),
        training=TrainingInfo(objective='rs_imle'),
        onnx_opset=OPSET,
    )


def write_imle_bundle(cfg: BenchConfig, net: ImlePolicyNetwork, directory: Path) -> Path:
    return write_bundle(net, bench_spec(cfg, net), directory)


def _export(module: nn.Module, args: tuple, names: list[str], path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=names,
            output_names=['out'],
            dynamic_axes={k: {0: 'batch'} for k in (*names, 'out')},
            opset_version=OPSET,
            dynamo=False,
        )
    return path


def unet_example_inputs(unet: ConditionalUnet1D, pred_horizon: int, batch: int = 2) -> tuple:
    args = (
        torch.zeros(batch, unet.condition_dim),
        torch.zeros(batch, pred_horizon, unet.action_dim),
    )
    return (
        args + (torch.zeros(batch, dtype=torch.int64),)
        if unet.timestep_encoder is not None
        else args
    )


def export_diffusion_unet(unet: ConditionalUnet1D, pred_horizon: int, path: Path) -> Path:
    """
    Export the diffusion UNet with the bundle's rewrites.

    (condition, noise = x_t, timestep int64 [B]) -> predicted noise.
    """
    return _export(
        rewrite_for_onnx(unet),
        unet_example_inputs(unet, pred_horizon),
        ['condition', 'noise', 'timestep'],
        path,
    )


class HalfPrecision(nn.Module):
    """fp16 inside, the fp32 (or uint8) contract outside: for CUDA fp16 sessions."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = copy.deepcopy(module).half()

    def forward(self, *args):
        args = [a.half() if a.is_floating_point() else a for a in args]
        return self.module(*args).float()


def export_fp16(module: nn.Module, args: tuple, names: list[str], path: Path) -> Path:
    """Export an fp16 copy of `module` (rewrites applied) with fp32 inputs and outputs."""
    return _export(HalfPrecision(rewrite_for_onnx(module)), args, names, path)
