# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Which simulator a command runs: the one definition of the `--env` option.

`sim` is the built-in arm (numpy + OpenCV, always there); `pusht` is gym-pusht, the IMLE
Policy paper's task; `metaworld:TASK` is one of Meta-World's 50 tasks (a Sawyer arm with a
gripper, end-effector control), e.g. metaworld:push-v3. Both are optional installs. The task
name is checked where the simulator is built (it needs metaworld installed); here only the
form is.
"""

from __future__ import annotations

from .settings import setting

SIMULATORS = {
    'sim': 'the built-in 2-joint arm (--task picks its task)',
    'pusht': "gym-pusht, the IMLE Policy paper's Push-T (bash scripts/install_pusht.sh)",
    'metaworld:TASK': 'a Meta-World task, e.g. metaworld:push-v3 (scripts/install_metaworld.sh)',
}
METAWORLD_PREFIX = 'metaworld:'


def metaworld_task(env: str) -> str | None:
    """Return the task of a `metaworld:TASK` env, else None."""
    prefix, _, task = env.partition(':')
    return task if prefix + ':' == METAWORLD_PREFIX else None


def _env_problem(env: str) -> str | None:
    if env in ('sim', 'pusht') or (metaworld_task(env) or '').strip():
        return None
    return f'env {env!r} is not one of sim, pusht, metaworld:TASK (e.g. metaworld:push-v3)'


def simulator_setting():
    """Return the `env` field of a command that runs a simulator."""
    help_text = '; '.join(f'{name}: {text}' for name, text in SIMULATORS.items())
    return setting('sim', f'the simulator. {help_text}', check=_env_problem, metavar='ENV')
