# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Calibration data for the built-in simulator's own models: fresh expert demonstrations."""

from __future__ import annotations

from pathlib import Path

from .calibration import CalibrationError, SIMULATOR_CALIBRATION_SEED
from ..evaluation.closed_loop import eval_task, EvalConfig
from ..runtime.policy_spec import PolicySpec
from ..sim.camera import CAMERA_NAME
from ..sim.demo_config import DemoConfig
from ..sim.demos import generate_demos


def simulator_problem(spec: PolicySpec) -> str | None:
    """Say why the built-in simulator cannot run this bundle's task, or None if it can."""
    cameras = [c.name for c in spec.cameras]
    if cameras != [CAMERA_NAME]:
        return f'its cameras are {cameras}, the simulator has one, {CAMERA_NAME!r}'
    camera = spec.cameras[0]
    if camera.height != camera.width or camera.depth_max_m is not None:
        return f'its camera is {camera.height}x{camera.width}, the simulator renders square RGB'
    return None


def simulator_dataset(spec: PolicySpec, directory: Path, episodes: int) -> Path:
    """Write `episodes` expert demos of the bundle's task and action space into `directory`."""
    problem = simulator_problem(spec)
    if problem:
        raise CalibrationError(
            f'the bundle is not a built-in simulator model ({problem}); give --calibration '
            f'DATASET, a dataset recorded like its training data'
        )
    demos = DemoConfig(
        image_size=spec.cameras[0].height,
        rate_hz=1.0 / spec.dt,
        task=eval_task(spec, EvalConfig()),
        action_space=spec.action_kind,
    )
    generate_demos(
        episodes, directory, seed=SIMULATOR_CALIBRATION_SEED, demos=demos, progress=False
    )
    return directory
