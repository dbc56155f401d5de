# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ResNet-18 image encoder with GroupNorm, as used by IMLE Policy and Diffusion Policy.

Topology (He et al. 2016, the "18" layout), trained from scratch:
    stem:   conv 7x7 stride 2 -> norm -> ReLU -> maxpool 3x3 stride 2
    stages: 4 stages of 2 BasicBlocks, widths w, 2w, 4w, 8w, first-block strides 1, 2, 2, 2
    head:   global average pool -> feature vector of 8w (512 for the paper's w = 64)

Why GroupNorm instead of BatchNorm: the policy is trained with small, highly correlated
batches (consecutive frames of a few demonstrations) and the encoder is later run one
frame at a time; BatchNorm's running statistics are brittle in both regimes, GroupNorm
has none. As in the reference, every norm layer uses 16 channels per group.

The forward takes the model bundle's image contract directly (uint8 RGB, channels last,
see runtime/policy_spec.py), so the exported encoder.onnx needs no preprocessing on the
robot: the cast, the /255 and the NHWC -> NCHW permute are inside the graph.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

CHANNELS_PER_GROUP = 16


def group_norm(channels: int) -> nn.GroupNorm:
    # max(1, ...) so that narrow debug encoders (width 8) still get a valid norm layer.
    return nn.GroupNorm(num_groups=max(1, channels // CHANNELS_PER_GROUP), num_channels=channels)


class BasicBlock(nn.Module):
    """Two 3x3 convs with a residual connection; the first conv may downsample."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        # Convs feed straight into a norm layer, so a bias would be redundant.
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.norm1 = group_norm(out_channels)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, stride=1, padding=1, bias=False)
        self.norm2 = group_norm(out_channels)
        # The skip path must match the main path's shape: a strided 1x1 projection when
        # the block changes resolution or width, the identity otherwise.
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
                group_norm(out_channels),
            )
        else:
            self.shortcut = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet18Encoder(nn.Module):
    """
    uint8 (or float in [0, 255]) images [B, H, W, 3] RGB -> features [B, 8 * width].

    Any image size works: the network shrinks it 32x overall (strides of 2 in the stem
    conv, the maxpool and stages 2-4) and the global average pool removes whatever
    spatial size is left; 32x32 ends at 1x1, smaller images just reach 1x1 earlier.
    """

    def __init__(self, width: int = 64):
        super().__init__()
        if width < 1:
            raise ValueError(f'width must be >= 1, got {width}')
        self.width = width
        self.stem = nn.Sequential(
            nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False),
            group_norm(width),
            nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages = []
        in_channels = width
        for i, stride in enumerate((1, 2, 2, 2)):
            out_channels = width * 2**i
            stages.append(
                nn.Sequential(
                    BasicBlock(in_channels, out_channels, stride),
                    BasicBlock(out_channels, out_channels, 1),
                )
            )
            in_channels = out_channels
        self.stages = nn.Sequential(*stages)
        self._init_weights()

    @property
    def feature_dim(self) -> int:
        return 8 * self.width

    def _init_weights(self) -> None:
        # He init suited to ReLU (what torchvision's ResNet does); norm layers start as
        # the identity (weight 1, bias 0, which is GroupNorm's default already).
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode='fan_out', nonlinearity='relu')

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        # Checked eagerly only; under the ONNX tracer it would just be frozen to a constant.
        if not torch.jit.is_tracing() and (images.dim() != 4 or images.shape[-1] != 3):
            raise ValueError(f'expected images [B, H, W, 3], got {tuple(images.shape)}')
        # Follow the weights' dtype (float32 unless the caller converted the module).
        x = images.to(self.stem[0].weight.dtype) / 255.0
        # NHWC (camera layout) -> NCHW (conv layout). Made contiguous so the convolutions
        # see a plain NCHW tensor: a permuted view is a channels_last tensor to oneDNN, and
        # torch 2.13's channels_last conv backward corrupts the heap on AVX2-only CPUs
        # with one thread (training aborted). In the ONNX graph this is still one Transpose.
        x = x.permute(0, 3, 1, 2).contiguous()
        x = self.stages(self.stem(x))
        return x.mean(dim=(2, 3))  # global average pool
