# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""ament_flake8 with its default configuration, as in every ROS 2 Python package."""

from lint_paths import lint_paths
import pytest

main_with_errors = pytest.importorskip('ament_flake8.main').main_with_errors


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8():
    rc, errors = main_with_errors(argv=lint_paths())
    assert rc == 0, f'Found {len(errors)} code style errors / warnings:\n' + '\n'.join(errors)
