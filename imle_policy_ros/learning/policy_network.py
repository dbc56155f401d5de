# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The IMLE Policy network: a shared image encoder + the conditional UNet generator.

The condition is built exactly as `runtime.policy_spec` describes, so the ONNX runtime can
rebuild it from cached per-frame features: for each of the last obs_horizon steps (oldest
first), the features of every camera in order, then the normalized joint positions.

One encoder is shared by all cameras (as LeRobot's Diffusion Policy does by default): it
keeps the bundle at one encoder.onnx and the features of a frame independent of which
camera slot it fills; cameras are told apart by their position in the condition.
A network without cameras (a state policy) has no encoder: its condition is the state.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .encoder import ResNet18Encoder
from .generator import ConditionalUnet1D


@dataclass
class NetworkConfig:
    camera_names: list[str]
    image_hw: tuple[int, int]  # encoder input (after crop)
    state_dim: int
    action_dim: int
    # Chosen by the user: their defaults are TrainConfig's (train_config.py), not repeated here.
    obs_horizon: int
    pred_horizon: int
    action_horizon: int
    encoder_width: int  # 64 -> 512-d features (the paper); 8-16 for small CPU models
    down_dims: list[int]
    kernel_size: int = 5
    n_groups: int = 8
    # > 0: the generator is Diffusion Policy's noise-prediction UNet (objective diffusion),
    # taking the diffusion step as well; 0: the IMLE / MSE generator.
    timestep_embed_dim: int = 0

    @property
    def feature_dim(self) -> int:
        return 8 * self.encoder_width

    @property
    def condition_dim(self) -> int:
        return self.obs_horizon * (len(self.camera_names) * self.feature_dim + self.state_dim)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> 'NetworkConfig':
        d = dict(d)
        d['image_hw'] = tuple(d['image_hw'])
        return cls(**d)


class ImlePolicyNetwork(nn.Module):
    """The IMLE Policy network: the shared image encoder + the conditional UNet generator."""

    def __init__(self, config: NetworkConfig):
        super().__init__()
        self.config = config
        self.encoder = ResNet18Encoder(width=config.encoder_width) if config.camera_names else None
        assert self.encoder is None or self.encoder.feature_dim == config.feature_dim
        self.generator = ConditionalUnet1D(
            action_dim=config.action_dim,
            condition_dim=config.condition_dim,
            down_dims=tuple(config.down_dims),
            kernel_size=config.kernel_size,
            n_groups=config.n_groups,
            timestep_embed_dim=config.timestep_embed_dim,
        )

    def condition(self, images: dict[str, torch.Tensor], state: torch.Tensor) -> torch.Tensor:
        """images: camera -> uint8 [B, To, H, W, 3]; state: normalized [B, To, S] -> [B, cond]."""
        batch, steps = state.shape[:2]
        per_camera = []
        for name in self.config.camera_names:
            assert self.encoder is not None
            frames = images[name]
            feats = self.encoder(frames.reshape(batch * steps, *frames.shape[2:]))
            per_camera.append(feats.reshape(batch, steps, -1))
        per_step = torch.cat([*per_camera, state], dim=-1)  # [B, To, C*F + S]
        return per_step.reshape(batch, -1)

    def forward(
        self,
        images: dict[str, torch.Tensor],
        state: torch.Tensor,
        noise: torch.Tensor,
        timestep: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """
        Noise [B, m, Tp, A] -> m chunks per example [B, m, Tp, A].

        The condition is computed once per example and repeated for its m samples: the
        encoder cost does not grow with m, only the (small) generator's does. A diffusion
        network (timestep_embed_dim > 0) takes noisy chunks x_t as `noise`, their steps
        `timestep` [B] (one per example), and returns the predicted noise.
        """
        batch, m = noise.shape[:2]
        cond = self.condition(images, state)
        cond = cond.repeat_interleave(m, dim=0)
        flat = noise.reshape(batch * m, *noise.shape[2:])
        if timestep is None:
            chunks = self.generator(cond, flat)
        else:
            chunks = self.generator(cond, flat, timestep.repeat_interleave(m, dim=0))
        return chunks.reshape(batch, m, *noise.shape[2:])
