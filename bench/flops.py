# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Parameters, weight bytes and MACs of the benchmark configurations.

One denoising call of the diffusion UNet is included. The counting lives in
imle_policy_ros/benchmarks/flops.py.

    python bench/flops.py
"""

from imle_policy_ros.benchmarks.flops import network_costs
from imle_policy_ros.benchmarks.models import build_diffusion_unet, build_network, CONFIGS

if __name__ == '__main__':
    for name in ('paper', 'small'):
        net = build_network(CONFIGS[name])
        costs = network_costs(
            net, (1, 8, 32), build_diffusion_unet(net, CONFIGS[name].step_embed_dim)
        )
        print(f'[{name}] {CONFIGS[name].describe()}')
        for key, value in costs.items():
            print(f'  {key}: {value:,}')
