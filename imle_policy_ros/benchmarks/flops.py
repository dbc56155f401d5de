# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The physical floor of an inference: MACs and weight bytes against what the machine sustains.

MACs are counted with forward hooks on the layers that carry almost all of the
arithmetic of these networks: Conv1d/2d/3d, ConvTranspose1d/2d/3d and Linear. Norms,
activations, pooling and elementwise ops (GroupNorm, Mish, ReLU, FiLM's scale/shift,
residual adds) are O(elements) and left out; `count_macs` reports how many output
elements it did not count so a reader can judge the gap. FLOPs ~= 2 x MACs.

The floor of a call is the larger of two lower bounds: compute (MACs / sustained matmul
rate) and memory (weight bytes read once / memory bandwidth). No backend can beat either,
so "measured / floor" is how far a backend is from the hardware's limit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import torch
from torch import nn

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


@dataclass
class MacCount:
    total: int = 0  # MACs of all counted layers (whole batch)
    by_type: dict = field(default_factory=dict)  # layer type name -> MACs
    layers: int = 0  # number of counted layer calls
    uncounted_elements: int = 0  # output elements of leaf modules that were not counted


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _kernel_size(module) -> int:
    k = 1
    for d in module.kernel_size:
        k *= d
    return k


def _layer_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    if isinstance(module, nn.Linear):  # every output element is in_features MACs
        return output.numel() * module.in_features
    if isinstance(module, _CONV):  # every output element sums (C_in / groups) * k products
        return output.numel() * (module.in_channels // module.groups) * _kernel_size(module)
    if isinstance(module, _CONV_T):  # every INPUT element scatters to (C_out / groups) * k outputs
        return inputs[0].numel() * (module.out_channels // module.groups) * _kernel_size(module)
    raise TypeError(type(module).__name__)


def count_macs(module: nn.Module, *inputs, **kwargs) -> MacCount:
    """
    Run module(*inputs, **kwargs) once (inference mode) and count its layers' MACs.

    The layers counted are its Conv/ConvTranspose/Linear layers, for the whole batch of the
    given inputs.
    """
    result = MacCount()
    by_type: dict = defaultdict(int)

    def hook(mod, args, out):
        if isinstance(mod, (nn.Linear, *_CONV, *_CONV_T)):
            macs = _layer_macs(mod, args, out)
            by_type[type(mod).__name__] += macs
            result.total += macs
            result.layers += 1
        elif torch.is_tensor(out):
            result.uncounted_elements += out.numel()

    # Leaves only: containers would count their children twice.
    handles = [
        m.register_forward_hook(hook) for m in module.modules() if next(m.children(), None) is None
    ]
    try:
        with torch.inference_mode():
            module(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    result.by_type = dict(by_type)
    return result


def network_costs(net, batches=(1, 8, 32), diffusion_unet: nn.Module | None = None) -> dict:
    """
    Return parameters, fp32 weight bytes and MACs of the networks.

    Encoder per frame, generator (and the diffusion UNet, one denoising call) at each batch
    size.
    """
    cfg = net.config
    h, w = cfg.image_hw
    out = {
        'params_encoder': count_parameters(net.encoder),
        'params_generator': count_parameters(net.generator),
        'encoder_weight_bytes_fp32': 4 * count_parameters(net.encoder),
        'generator_weight_bytes_fp32': 4 * count_parameters(net.generator),
        'encoder_macs_per_frame': count_macs(
            net.encoder, torch.zeros(1, h, w, 3, dtype=torch.uint8)
        ).total,
    }
    for n in batches:
        cond, noise = (
            torch.zeros(n, cfg.condition_dim),
            torch.zeros(n, cfg.pred_horizon, cfg.action_dim),
        )
        out[f'generator_macs_n{n}'] = count_macs(net.generator, cond, noise).total
        if diffusion_unet is not None:
            out[f'diffusion_unet_macs_n{n}'] = count_macs(diffusion_unet, cond, noise, 0).total
    if diffusion_unet is not None:
        out['diffusion_unet_weight_bytes_fp32'] = 4 * count_parameters(diffusion_unet)
    return out


def floor_ms(macs: float, weight_bytes: float, rates: dict, calls: int = 1) -> dict:
    """Lower bounds (ms) for `calls` network calls of `macs` MACs and `weight_bytes` each."""
    compute = 1e3 * calls * macs / (rates['gemm_gmacs_per_s'] * 1e9)
    memory = 1e3 * calls * weight_bytes / (rates['copy_gb_per_s'] * 1e9)
    return {'compute_ms': compute, 'weights_ms': memory, 'floor_ms': max(compute, memory)}
