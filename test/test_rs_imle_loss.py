# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""RS-IMLE loss: hand-computed cases, agreement with the reference rule, gradients."""

import math

from imle_policy_ros.learning.rs_imle_loss import rs_imle_loss, rs_imle_stats
import pytest
import torch


def _reference_rule(real, fake, epsilon):
    """
    Restate the reference's arithmetic step by step (the oracle for the tests below).

    Rejected samples are pushed up by the batch-wide max distance, and an example counts
    when its minimum stays strictly below that max.
    """
    batch, m = fake.shape[:2]
    distances = torch.cdist(real.reshape(batch, 1, -1), fake.reshape(batch, m, -1)).squeeze(1)
    valid = (distances > epsilon).to(distances.dtype)
    min_distances = (distances + (1 - valid) * distances.max()).min(dim=1).values
    valid_real = (min_distances < distances.max()).to(distances.dtype)
    if valid_real.sum() > 0:
        return (min_distances * valid_real).sum() / valid_real.sum()
    return torch.tensor(0.0, dtype=distances.dtype)


def _chunks(points):
    """[[(x, y), ...] per example] -> [B, m, T=1, D=2]."""
    return torch.tensor(points, dtype=torch.float32).unsqueeze(2)


# Example 0: target (0, 0); samples at distances 0.5, 5, 2.
# Example 1: target (1, 1); samples at distances 0, 3, 5.
TARGET = torch.tensor([[[0.0, 0.0]], [[1.0, 1.0]]])
SAMPLES = _chunks([[(0.0, 0.5), (3.0, 4.0), (0.0, 2.0)], [(1.0, 1.0), (1.0, 4.0), (4.0, 5.0)]])


def test_nearest_kept_sample_is_chosen():
    # eps 1: 0.5 and 0 are rejected; nearest kept are 2 and 3.
    assert rs_imle_loss(TARGET, SAMPLES, epsilon=1.0).item() == pytest.approx((2.0 + 3.0) / 2)
    # eps 0: only the exact hit (distance 0) is rejected; nearest kept are 0.5 and 3.
    assert rs_imle_loss(TARGET, SAMPLES, epsilon=0.0).item() == pytest.approx((0.5 + 3.0) / 2)


def test_distance_equal_to_epsilon_is_rejected():
    # The sample at exactly 2.0 is rejected (<= eps), so example 0 falls back to 5.
    assert rs_imle_loss(TARGET, SAMPLES, epsilon=2.0).item() == pytest.approx((5.0 + 3.0) / 2)


def test_distance_is_l2_not_squared_over_the_whole_chunk():
    target = torch.zeros(1, 2, 2)  # T=2, D=2: distance over all 4 numbers
    samples = torch.tensor([[[[1.0, 2.0], [2.0, 4.0]]]])  # sqrt(1 + 4 + 4 + 16) = 5
    assert rs_imle_loss(target, samples, epsilon=0.0).item() == pytest.approx(5.0)


def test_all_rejected_example_contributes_nothing():
    samples = SAMPLES.clone()
    samples[1] = TARGET[1] + 0.01  # every sample of example 1 within eps = 1
    # Example 0 keeps (5, 2): its nearest is 2; example 1 is dropped, not averaged in as 0.
    assert rs_imle_loss(TARGET, samples, epsilon=1.0).item() == pytest.approx(2.0)


def test_everything_rejected_gives_a_zero_that_backpropagates():
    samples = SAMPLES.clone().requires_grad_(True)
    loss = rs_imle_loss(TARGET, samples, epsilon=100.0)
    assert loss.item() == 0.0
    assert loss.requires_grad and loss.dim() == 0
    loss.backward()
    assert samples.grad is not None
    assert torch.count_nonzero(samples.grad) == 0


def test_gradient_reaches_only_the_selected_sample():
    samples = SAMPLES.clone().requires_grad_(True)
    rs_imle_loss(TARGET, samples, epsilon=1.0).backward()
    grad = samples.grad
    expected = torch.zeros_like(grad)
    # d/ds ||s - t|| = (s - t) / ||s - t||, divided by the 2 valid examples.
    expected[0, 2] = (SAMPLES[0, 2] - TARGET[0]) / 2.0 / 2
    expected[1, 1] = (SAMPLES[1, 1] - TARGET[1]) / 3.0 / 2
    torch.testing.assert_close(grad, expected)
    # No nan from the exact hit at distance 0 (sample [1, 0]).
    assert torch.isfinite(grad).all()


def test_matches_reference_rule_on_random_batches():
    generator = torch.Generator().manual_seed(1234)
    compared = 0
    for trial in range(300):
        dtype = torch.float64 if trial % 2 else torch.float32
        batch = int(torch.randint(1, 9, (1,), generator=generator))
        m = int(torch.randint(1, 25, (1,), generator=generator))
        horizon = int(torch.randint(1, 9, (1,), generator=generator))
        dim = int(torch.randint(1, 8, (1,), generator=generator))
        target = torch.randn(batch, horizon, dim, generator=generator, dtype=dtype)
        # Per-sample spreads over three orders of magnitude, so a quantile epsilon rejects
        # a mix: some examples lose a few samples, some lose all.
        scale = torch.exp(
            torch.empty(batch, m, 1, 1, dtype=dtype).uniform_(-5, 1, generator=generator)
        )
        samples = target.unsqueeze(1) + scale * torch.randn(
            batch, m, horizon, dim, generator=generator, dtype=dtype
        )
        distances = (samples - target.unsqueeze(1)).flatten(2).norm(dim=-1)
        q = float(torch.rand(1, generator=generator))
        epsilon = float(torch.quantile(distances.flatten().double(), q)) * 1.0001
        if trial % 10 == 0:
            epsilon = 0.03  # the paper's value, on the same random data

        # Exclude ties: distances too close to epsilon (float noise decides) and the one
        # case where the two rules differ by design (see the degenerate test below).
        if (distances - epsilon).abs().min() < 1e-5:
            continue
        kept = distances > epsilon
        nearest = distances.masked_fill(~kept, math.inf).min(dim=1).values
        if (kept.any(dim=1) & (nearest >= distances.max())).any():
            continue

        ours = rs_imle_loss(target, samples, epsilon)
        theirs = _reference_rule(target, samples, epsilon)
        assert abs(ours.item() - theirs.item()) <= 1e-6 * max(1.0, abs(theirs.item())), trial
        compared += 1
    assert compared >= 200


def test_degenerate_case_where_reference_drops_a_valid_example():
    # Example 1's only kept sample (distance 10) is also the batch's largest distance:
    # the reference's "min < global max" test fails for it and drops it; it was not
    # rejected, so this loss keeps it.
    target = torch.zeros(2, 1, 2)
    samples = _chunks([[(0.0, 3.0), (0.0, 0.1)], [(0.0, 10.0), (0.0, 0.2)]])
    assert _reference_rule(target, samples, 1.0).item() == pytest.approx(3.0)
    assert rs_imle_loss(target, samples, 1.0).item() == pytest.approx((3.0 + 10.0) / 2)


def test_stats():
    stats = rs_imle_stats(TARGET, SAMPLES, epsilon=1.0)
    assert stats['num_valid'] == 2 and stats['num_examples'] == 2
    assert stats['rejected_fraction'] == pytest.approx(2 / 6)
    assert stats['nearest_mean'] == pytest.approx(2.5)
    assert stats['min_distance'] == pytest.approx(0.0)
    assert stats['max_distance'] == pytest.approx(5.0)
    assert stats['mean_distance'] == pytest.approx((0.5 + 5 + 2 + 0 + 3 + 5) / 6)
    none_left = rs_imle_stats(TARGET, SAMPLES, epsilon=100.0)
    assert none_left['num_valid'] == 0 and math.isnan(none_left['nearest_mean'])


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match='samples'):
        rs_imle_loss(torch.zeros(2, 4, 3), torch.zeros(2, 5, 4, 2))
    with pytest.raises(ValueError, match='samples'):
        rs_imle_loss(torch.zeros(2, 4, 3), torch.zeros(3, 5, 4, 3))
