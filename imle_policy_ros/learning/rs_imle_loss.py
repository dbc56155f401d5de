# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Rejection-sampling IMLE loss (Rana et al., RSS 2025).

IMLE trains a generator by pulling, for every data point, the *nearest* of m generated
samples onto it: every real example gets some sample close to it, so modes are covered
rather than averaged. The rejection-sampling variant first discards samples that are
already within epsilon of the target. Without it, the sample that already sits on the
target keeps being selected and pulled (for nothing), while the other modes of the
generator are never moved; rejecting it makes the next-nearest sample do the work.

    d_ij  = || target_i - sample_ij ||_2      (whole chunk flattened; L2, not squared)
    kept  = { j : d_ij > epsilon }
    loss  = mean over examples i with kept non-empty of  min_{j in kept} d_ij

Examples with every sample rejected contribute nothing (they are already fit); if no
example has a kept sample the loss is a zero that is still attached to the graph, so the
training loop can call backward() unconditionally (all gradients are then zero).

On the reference implementation: it masks a rejected sample by adding the batch-wide
maximum distance to it and then counts an example as valid when its minimum is strictly
below that maximum. That gives the same loss except in one degenerate case: an example
whose only kept sample *is* the batch's farthest sample (its distance equals the global
max, so "min < max" fails). The reference drops that example; the rule here keeps it,
because that sample was not rejected. Everywhere else the two agree (tests check this).
"""

from __future__ import annotations

import torch


def _distances(target: torch.Tensor, samples: torch.Tensor) -> torch.Tensor:
    """Target [B, T, D], samples [B, m, T, D] -> L2 distances [B, m] of the flattened chunks."""
    if (
        target.dim() != 3
        or samples.dim() != 4
        or samples.shape[0] != target.shape[0]
        or samples.shape[2:] != target.shape[1:]
    ):
        raise ValueError(
            f'expected target [B, T, D] and samples [B, m, T, D], got '
            f'{tuple(target.shape)} and {tuple(samples.shape)}'
        )
    # The explicit difference is exact, unlike torch.cdist's matmul shortcut for large m,
    # and the norm's backward is defined (zero) at distance 0.
    return (samples - target.unsqueeze(1)).flatten(start_dim=2).norm(dim=-1)


def _nearest_kept(distances: torch.Tensor, epsilon: float) -> tuple[torch.Tensor, torch.Tensor]:
    """
    Return the nearest kept sample of each row and whether the row kept any.

    Distances [B, m] -> (index of the nearest kept sample [B] long (0 if none),
    has_kept [B] bool).
    """
    kept = distances > epsilon
    return distances.masked_fill(~kept, float('inf')).argmin(dim=1), kept.any(dim=1)


@torch.no_grad()
def select_nearest_kept(
    target: torch.Tensor, samples: torch.Tensor, epsilon: float = 0.03
) -> tuple[torch.Tensor, torch.Tensor]:
    """
    Select each example's nearest kept sample.

    Target [B, T, D], samples [B, m, T, D] -> (index of each example's nearest kept
    sample [B] long (0 where none is kept), valid [B] bool: some sample was kept).

    The choice needs no gradient, so training makes its m samples without a graph, picks
    here, and regenerates only the picked ones with one (train.compute_loss).
    """
    return _nearest_kept(_distances(target, samples), epsilon)


def chosen_sample_loss(
    target: torch.Tensor, chosen: torch.Tensor, valid: torch.Tensor
) -> torch.Tensor:
    """
    target, chosen [B, T, D], valid [B] -> the mean L2 distance over the valid examples.

    No host sync: the valid examples are selected with masks, not with Python control flow.
    With no valid example the result is a graph-attached 0 (its gradient is zero everywhere).
    """
    distance = (chosen - target).flatten(start_dim=1).norm(dim=-1)
    # where() rather than multiplying by the mask: an unselected row may hold anything.
    total = torch.where(valid, distance, torch.zeros_like(distance)).sum()
    count = valid.sum().clamp(min=1).to(total.dtype)
    return total / count


def rs_imle_loss(
    target: torch.Tensor, samples: torch.Tensor, epsilon: float = 0.03
) -> torch.Tensor:
    """
    Target [B, T, D], samples [B, m, T, D] -> scalar loss (see the module docstring).

    The gradient reaches only the selected sample of each valid example.
    """
    index, valid = select_nearest_kept(target, samples, epsilon)
    chosen = samples[torch.arange(samples.shape[0], device=samples.device), index]
    return chosen_sample_loss(target, chosen, valid)


@torch.no_grad()
def rs_imle_stats(target: torch.Tensor, samples: torch.Tensor, epsilon: float = 0.03) -> dict:
    """
    Numbers worth logging next to the loss (Python scalars; this one syncs the device).

    num_valid:         examples with at least one kept sample (those that make the loss)
    num_examples:      B
    rejected_fraction: share of all B*m samples within epsilon of their target
    nearest_mean:      mean distance of the selected samples (= the loss; nan if none)
    mean/min/max_distance: over all B*m distances
    """
    distances = _distances(target, samples)
    index, valid = _nearest_kept(distances, epsilon)
    nearest = distances.gather(1, index.unsqueeze(1)).squeeze(1)
    num_valid = int(valid.sum())
    return {
        'num_valid': num_valid,
        'num_examples': int(distances.shape[0]),
        'rejected_fraction': float((distances <= epsilon).float().mean()),
        'nearest_mean': float(nearest[valid].mean()) if num_valid else float('nan'),
        'mean_distance': float(distances.mean()),
        'min_distance': float(distances.min()),
        'max_distance': float(distances.max()),
        'epsilon': float(epsilon),
    }
