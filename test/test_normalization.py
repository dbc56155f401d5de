# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Min-max normalization: the round trip, and dimensions that never varied."""

from imle_policy_ros.runtime.normalization import MinMaxStats
import numpy as np


def test_round_trip_maps_the_range_onto_minus_one_to_one():
    values = np.array([[0.0, 10.0], [1.0, 20.0], [0.5, 15.0]])
    stats = MinMaxStats.fit(values)
    np.testing.assert_allclose(stats.normalize(values)[:2], [[-1, -1], [1, 1]])
    np.testing.assert_allclose(stats.unnormalize(stats.normalize(values)), values, atol=1e-5)
    assert stats.constant is None and 'constant' not in stats.to_dict()


def test_a_constant_dimension_comes_back_as_its_value_whatever_the_model_says():
    values = np.array([[0.0, 0.3], [1.0, 0.3], [0.5, 0.3]])  # e.g. a fixed height
    stats = MinMaxStats.fit(values)
    np.testing.assert_allclose(stats.normalize(values)[:, 1], 0.0, atol=1e-6)
    off = stats.unnormalize(np.array([[0.0, 0.2]]))  # a model error of 0.2 normalized
    np.testing.assert_allclose(off[0, 1], 0.3, atol=1e-6)  # not 0.5: pinned
    again = MinMaxStats.from_dict(stats.to_dict())
    np.testing.assert_array_equal(again.constant, [False, True])
    np.testing.assert_allclose(again.unnormalize(np.array([[0.0, -0.7]]))[0, 1], 0.3, atol=1e-6)
