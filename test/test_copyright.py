# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Every source file says whose it is and under which license (LICENSE, MIT).

The check is ours: ament_copyright is not installable from the package registries, so
the header is the SPDX form (https://spdx.dev/ids/), checked here line by line.
"""

from lint_paths import python_files, ROOT
import pytest

HEADER = (
    '# Copyright 2026 The imle_policy_ros Contributors',
    '# SPDX-License-Identifier: MIT',
)


@pytest.mark.copyright
@pytest.mark.linter
def test_every_source_file_has_the_license_header():
    scripts = [ROOT / 'scripts' / name for name in ('test.sh', 'colcon_venv.sh')]
    missing = []
    for path in python_files() + [p for p in scripts if p.exists()]:
        head = path.read_text().splitlines()[:4]
        if path.stat().st_size and not all(line in head for line in HEADER):
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, 'files without the copyright and SPDX lines:\n' + '\n'.join(missing)
