# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""ament_pep257 with its default (ament) convention, as in every ROS 2 Python package."""

from lint_paths import lint_paths
import pytest

main = pytest.importorskip('ament_pep257.main').main


@pytest.mark.linter
@pytest.mark.pep257
def test_pep257():
    rc = main(argv=lint_paths())
    assert rc == 0, 'Found code style errors / warnings (listed above)'
