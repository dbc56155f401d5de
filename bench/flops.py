"""Parameter and multiply-accumulate (MAC) counts of a torch module, from forward hooks.

Only the layers that carry almost all of the arithmetic of these networks are counted:
Conv1d/Conv2d/Conv3d, ConvTranspose1d/2d/3d and Linear. Norms, activations, pooling and
elementwise ops (GroupNorm, Mish, ReLU, FiLM's scale/shift, residual adds) are O(elements)
and are left out; `count_macs` reports how many such elements it saw so a reader can
judge the gap. A MAC is one multiply plus one add; FLOPs ~= 2 * MACs.

Used by bench/bench_inference.py for the "physical floor" of an inference: MACs divided
by a machine's sustained MAC rate bounds how fast any backend could run a network.

    python bench/flops.py            # the paper's configuration, printed
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

    @property
    def gmacs(self) -> float:
        return self.total / 1e9

    def per_sample(self, batch: int) -> float:
        return self.total / batch


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _layer_macs(module: nn.Module, inputs: tuple, output: torch.Tensor) -> int:
    if isinstance(module, nn.Linear):
        # every output element is in_features MACs
        return output.numel() * module.in_features
    if isinstance(module, _CONV):
        # every output element sums (C_in / groups) * prod(kernel) products
        kernel = 1
        for k in module.kernel_size:
            kernel *= k
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, _CONV_T):
        # every INPUT element is scattered to (C_out / groups) * prod(kernel) outputs
        kernel = 1
        for k in module.kernel_size:
            kernel *= k
        return inputs[0].numel() * (module.out_channels // module.groups) * kernel
    raise TypeError(type(module).__name__)


def count_macs(module: nn.Module, *inputs, **kwargs) -> MacCount:
    """Run module(*inputs, **kwargs) once (inference mode) and count the MACs of its
    Conv/ConvTranspose/Linear layers, for the whole batch of the given inputs."""
    result = MacCount()
    by_type: dict = defaultdict(int)
    handles = []

    def hook(mod, args, out):
        if isinstance(mod, (nn.Linear, *_CONV, *_CONV_T)):
            macs = _layer_macs(mod, args, out)
            by_type[type(mod).__name__] += macs
            result.total += macs
            result.layers += 1
        elif torch.is_tensor(out):
            result.uncounted_elements += out.numel()

    for sub in module.modules():
        if next(sub.children(), None) is None:  # leaves only: containers would double count
            handles.append(sub.register_forward_hook(hook))
    try:
        with torch.inference_mode():
            module(*inputs, **kwargs)
    finally:
        for h in handles:
            h.remove()
    result.by_type = dict(by_type)
    return result


def _main() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_inference import CONFIGS, build_network, network_costs

    for name in CONFIGS:
        net = build_network(CONFIGS[name])
        costs = network_costs(net, batch=32)
        print(f"[{name}]")
        for key, value in costs.items():
            print(f"  {key}: {value}")


if __name__ == "__main__":
    _main()
