# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The faults a FaultStack can be given: how to start and end each, and the safe outcome.

The safe outcome is `hold` (the arm holds within stale_observation_timeout, and resumes
from where it is when the fault ends) or `continue` (control goes on: the bad input is
refused and counted, or was legal all along). One table for the fault tests and the soak.

Transport faults go through sim_robot_node's fault switches (ros/input_faults.py says what
each does to the messages), the robot restart kills and restarts its process, and the
model-switch faults set model_path to a bundle the node must refuse (`refusal_bundles`).

EE_FAULTS is the table of an end-effector stack (command_interface pose or twist): the
faults of the measured pose and of an arm that does not follow (ros/sim_end_effector.py's
switches), and those of FAULTS that apply to it (`faults_for(cartesian=True)`).
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
import json
from pathlib import Path
import shutil
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Fault:
    outcome: str  # "hold" | "continue"
    start: Callable
    stop: Callable
    needs_compressed_camera: bool = False


def _switch(**on):
    off = {name: (True if isinstance(value, bool) else 'none') for name, value in on.items()}
    return (lambda stack: stack.set_sim(**on)), (lambda stack: stack.set_sim(**off))


def _sim_fault(outcome: str, needs_compressed: bool = False, **on) -> Fault:
    start, stop = _switch(**on)
    return Fault(outcome, start, stop, needs_compressed)


def _refuse_model(kind: str) -> Fault:
    def start(stack):
        path = stack.refusal_bundles[kind]
        result = stack.set_policy(model_path=str(path))[0]
        if result.successful:
            raise AssertionError(f'the node accepted a bundle it must refuse ({kind}: {path})')
        stack.last_refusal = result.reason

    return Fault('continue', start, lambda stack: None)


FAULTS = {
    'camera_stops': _sim_fault('hold', camera_enabled=False),
    'compressed_camera_stops': _sim_fault('hold', True, compressed_camera_enabled=False),
    'image_wrong_encoding': _sim_fault('hold', image_fault='wrong_encoding'),
    'image_wrong_size': _sim_fault('hold', image_fault='wrong_size'),
    'image_bad_step': _sim_fault('hold', image_fault='bad_step'),
    'compressed_image_corrupt': _sim_fault('hold', True, image_fault='corrupt_compressed'),
    'frames_late': _sim_fault('hold', stamp_fault='late'),
    'frames_out_of_order': _sim_fault('hold', stamp_fault='out_of_order'),
    'frames_duplicate_stamps': _sim_fault('hold', stamp_fault='duplicate'),
    'joint_state_missing_joint': _sim_fault('hold', joint_state_fault='missing_joint'),
    'joint_state_nan': _sim_fault('hold', joint_state_fault='nan'),
    'joint_state_extra_joint': _sim_fault('continue', joint_state_fault='extra_joint'),
    'joint_state_reordered': _sim_fault('continue', joint_state_fault='reordered'),
    'robot_restart': Fault(
        'hold', lambda stack: stack.kill_robot(), lambda stack: stack.restart_robot()
    ),
    'model_missing': _refuse_model('missing'),
    'model_corrupt_onnx': _refuse_model('corrupt_onnx'),
    'model_hash_mismatch': _refuse_model('hash_mismatch'),
    'model_other_joint_names': _refuse_model('other_joint_names'),
    'model_other_action_dim': _refuse_model('other_action_dim'),
}


# An end-effector stack: its own faults, then those of FAULTS it shares. The joint-state
# faults break the arm's joints, which an end-effector node does not read (only the
# gripper's), and a bundle for other joints or actions is refused like any other.
EE_FAULTS = {
    'ee_pose_stops': _sim_fault('hold', ee_pose_enabled=False),
    'ee_pose_nan': _sim_fault('hold', ee_pose_fault='nan'),
    'ee_pose_wrong_frame': _sim_fault('hold', ee_pose_fault='wrong_frame'),
    # held at the measured pose whenever it is max_tracking_error off; moves when it ends
    'arm_frozen': Fault(
        'hold',
        lambda stack: stack.set_sim(arm_frozen=True),
        lambda stack: stack.set_sim(arm_frozen=False),
    ),
    **{
        name: FAULTS[name]
        for name in (
            'camera_stops',
            'image_wrong_encoding',
            'image_wrong_size',
            'image_bad_step',
            'frames_late',
            'frames_out_of_order',
            'frames_duplicate_stamps',
            'robot_restart',
            'model_missing',
            'model_corrupt_onnx',
            'model_hash_mismatch',
            'model_other_joint_names',
            'model_other_action_dim',
        )
    },
}


def faults_for(compressed_camera: bool, cartesian: bool = False) -> list[str]:
    """Return the fault kinds a stack supports (cartesian: an end-effector one)."""
    table = EE_FAULTS if cartesian else FAULTS
    return [
        name
        for name, fault in table.items()
        if compressed_camera or not fault.needs_compressed_camera
    ]


def fault_named(name: str) -> Fault:
    """Return the fault of either table."""
    return EE_FAULTS[name] if name in EE_FAULTS else FAULTS[name]


# ---- bundles a running node must refuse --------------------------------------------------
def refusal_bundles(good: Path, workdir: Path) -> dict[str, Path]:
    """Made from copies of the running bundle `good`, each broken in one way."""
    workdir = Path(workdir)
    bundles = {'missing': workdir / 'no_such_bundle'}

    def copy(kind: str) -> Path:
        target = workdir / f'refused_{kind}'
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(good, target)
        bundles[kind] = target
        return target

    def edit_spec(directory: Path, change) -> None:
        path = directory / 'policy.json'
        spec = json.loads(path.read_text())
        change(spec)
        path.write_text(json.dumps(spec, indent=2))

    # random bytes where the generator was, with its sha256 updated: ONNX Runtime refuses it
    corrupt = copy('corrupt_onnx')
    garbage = np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    (corrupt / 'generator.onnx').write_bytes(garbage)
    edit_spec(
        corrupt,
        lambda s: s['onnx']['sha256'].update(
            {'generator.onnx': hashlib.sha256(garbage).hexdigest()}
        ),
    )

    # one byte of the generator flipped: the sha256 in policy.json no longer matches
    tampered = copy('hash_mismatch') / 'generator.onnx'
    data = bytearray(tampered.read_bytes())
    data[200] ^= 0xFF
    tampered.write_bytes(bytes(data))

    def rename_joints(spec):
        state = spec['state']
        key = 'names' if 'names' in state else 'joint_names'  # format 2; format 1 (reach_default)
        state[key] = [f'other_{n}' for n in state[key]]
        spec['action']['names'] = [f'other_{n}' for n in spec['action']['names']]

    edit_spec(copy('other_joint_names'), rename_joints)

    def add_action(spec):
        spec['action']['names'] = list(spec['action']['names']) + ['extra_joint']
        for bound in ('min', 'max'):
            values = spec['normalization']['action'][bound]
            spec['normalization']['action'][bound] = list(values) + [values[-1]]

    edit_spec(copy('other_action_dim'), add_action)
    return bundles
