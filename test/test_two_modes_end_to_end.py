# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The proof that IMLE works here: one observation, two equally good answers.

Trains through the real trainer (RS-IMLE and the MSE baseline, same networks, same data),
exports both through the real exporter, samples 200 chunks through the ONNX runtime, and
checks that IMLE produces both answers close to the demonstrations while MSE averages them.
"""

from imle_policy_ros.learning.two_mode_demo import run_demo
import pytest


@pytest.mark.slow
def test_imle_covers_both_modes_and_mse_lands_between(tmp_path):
    results = run_demo(tmp_path, steps=300)
    imle, mse = results['rs_imle'], results['mse']
    assert imle['left'] >= 0.25 and imle['right'] >= 0.25, imle
    assert imle['between'] <= 0.05, imle
    assert imle['mean_distance_to_nearest_mode'] < 0.1, imle  # a chunk spans ~1.4 units
    assert mse['between'] >= 0.95, mse
    assert mse['mean_abs_end_x'] < 0.3, mse  # the average of left and right: straight up
