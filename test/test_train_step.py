# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The training step's RS-IMLE gradient equals backpropagating through all m samples.

compute_loss makes the m samples without a graph and regenerates only the chosen one with
one; this checks that shortcut against the plain definition (rs_imle_loss over m samples
made with a graph) on a small network: same loss, same gradient on every parameter.
"""

from imle_policy_ros.learning.policy_network import ImlePolicyNetwork, NetworkConfig
from imle_policy_ros.learning.rs_imle_loss import rs_imle_loss
from imle_policy_ros.learning.train import compute_loss, TrainConfig
import torch

BATCH, M = 6, 5


def small_network():
    torch.manual_seed(0)
    config = NetworkConfig(
        camera_names=['top'],
        image_hw=(24, 24),
        state_dim=2,
        action_dim=2,
        obs_horizon=2,
        pred_horizon=8,
        action_horizon=4,
        encoder_width=4,
        down_dims=[16, 32],
    )
    return ImlePolicyNetwork(config).train()


def batch(seed=1):
    g = torch.Generator().manual_seed(seed)
    images = {'top': torch.randint(0, 256, (BATCH, 2, 24, 24, 3), dtype=torch.uint8, generator=g)}
    state = torch.rand(BATCH, 2, 2, generator=g) * 2 - 1
    actions = torch.rand(BATCH, 8, 2, generator=g) * 2 - 1
    return images, state, actions


def gradients(net):
    return {name: p.grad.clone() for name, p in net.named_parameters() if p.grad is not None}


def training_step(net, epsilon):
    """compute_loss on the fixed batch and noise seed, backward; the loss and the gradients."""
    images, state, actions = batch()
    cfg = TrainConfig(dataset='', output_dir='', samples_per_example=M, epsilon=epsilon)
    loss = compute_loss(net, cfg, images, state, actions, torch.Generator().manual_seed(5))
    loss.backward()
    return loss, gradients(net)


def test_regenerating_the_chosen_sample_gives_the_full_gradient():
    net = small_network()
    loss, shortcut = training_step(net, epsilon=0.03)
    net.zero_grad(set_to_none=True)

    # the definition: the same noise (same generator seed), every sample in the graph
    images, state, actions = batch()
    noise = torch.randn(BATCH, M, 8, 2, generator=torch.Generator().manual_seed(5))
    full_loss = rs_imle_loss(actions, net(images, state, noise), 0.03)
    full_loss.backward()
    full = gradients(net)

    torch.testing.assert_close(loss, full_loss, rtol=1e-5, atol=1e-6)
    assert shortcut.keys() == full.keys() and len(full) == len(list(net.parameters()))
    for name in full:
        torch.testing.assert_close(shortcut[name], full[name], rtol=1e-4, atol=1e-6, msg=name)
    assert any(g.abs().sum() > 0 for name, g in full.items() if name.startswith('encoder.'))


def test_rejected_examples_add_no_gradient():
    """With epsilon past every distance each example is rejected: a zero loss, zero gradients."""
    loss, grads = training_step(small_network(), epsilon=1e6)
    assert loss.item() == 0.0
    assert all(torch.count_nonzero(g) == 0 for g in grads.values())
