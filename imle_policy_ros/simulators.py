# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Which simulator a command runs: the one definition of the `--env` option.

`sim` is the built-in arm (numpy + OpenCV, always there); `pusht` is gym-pusht, the IMLE
Policy paper's task, an optional install (scripts/install_pusht.sh).
"""

from __future__ import annotations

from .settings import setting

SIMULATORS = {
    'sim': 'the built-in 2-joint arm (--task picks its task)',
    'pusht': "gym-pusht, the IMLE Policy paper's Push-T (bash scripts/install_pusht.sh)",
}


def simulator_setting():
    """Return the `env` field of a command that runs a simulator."""
    help_text = '; '.join(f'{name}: {text}' for name, text in SIMULATORS.items())
    return setting('sim', f'the simulator. {help_text}', choices=tuple(SIMULATORS))
