# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Build tiny model bundles for tests.

Small torch modules that obey the ONNX contract of `policy_spec`, exported with the legacy
(TorchScript) exporter, plus a matching policy.json.

`make_tiny_bundle(tmp_path, **overrides)` returns the bundle directory. Overrides change the
spec, the models, or break the bundle on purpose (see the parameters), so each test can
build exactly the bad bundle it checks. Exports are cached per model configuration
because exporting is the slow part. `ee_layout=EE_LAYOUT` makes an end-effector (ee_pose)
bundle: its action and state names are the layout's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from pathlib import Path
import shutil
import warnings

from imle_policy_ros.runtime.ee_layout import EePoseLayout, GripperSpec
from imle_policy_ros.runtime.normalization import MinMaxStats
from imle_policy_ros.runtime.policy_spec import (
    CameraSpec,
    ENCODER_FILE,
    GENERATOR_FILE,
    PolicySpec,
    TrainingInfo,
)
import numpy as np
import torch
from torch import nn

FEATURE_DIM = 8
JOINT_NAMES = ('j1', 'j2', 'j3')
ACTION_NAMES = ('a1', 'a2')
OBS_HORIZON = 2
PRED_HORIZON = 16
ACTION_HORIZON = 8
CAMERA = CameraSpec('front', 20, 24, crop=(16, 16))
# A relative end-effector layout with a fixed orientation and a gripper (x, y, z, gripper).
EE_LAYOUT = EePoseLayout(
    'base_link', 'tool0', rotation='none', gripper=GripperSpec('finger_joint', 0.04, 0.0)
)
EE_STEP = 0.05  # m: the relative targets of an ee bundle span +-this


class TinyEncoder(nn.Module):
    """uint8 [B, H, W, 3] -> [B, feature_dim]: scale, flatten, one linear layer."""

    def __init__(self, hw: tuple[int, int], feature_dim: int, produce_nan: bool = False):
        super().__init__()
        self.linear = nn.Linear(hw[0] * hw[1] * 3, feature_dim)
        self.produce_nan = produce_nan

    def forward(self, image):
        x = image.to(torch.float32) / 255.0
        y = self.linear(x.flatten(1))
        return y * float('nan') if self.produce_nan else y


class TinyGenerator(nn.Module):
    """(condition [B, C], noise [B, T, D]) -> actions [B, T, D] in (-1, 1)."""

    def __init__(
        self, condition_dim: int, pred_horizon: int, action_dim: int, produce_nan: bool = False
    ):
        super().__init__()
        self.pred_horizon, self.action_dim = pred_horizon, action_dim
        self.from_condition = nn.Linear(condition_dim, pred_horizon * action_dim)
        self.from_noise = nn.Linear(action_dim, action_dim)
        self.produce_nan = produce_nan

    def forward(self, condition, noise):
        base = self.from_condition(condition).reshape(-1, self.pred_horizon, self.action_dim)
        out = torch.tanh(base + self.from_noise(noise))
        return out * float('nan') if self.produce_nan else out


_EXPORT_CACHE: dict[tuple, bytes] = {}


def _export(
    module: nn.Module,
    args: tuple,
    input_names,
    output_names,
    opset: int,
    dynamic_batch: bool,
    key: tuple,
) -> bytes:
    if key in _EXPORT_CACHE:
        return _EXPORT_CACHE[key]
    torch.manual_seed(0)  # deterministic weights for a given key
    module.apply(lambda m: m.reset_parameters() if isinstance(m, nn.Linear) else None)
    dynamic_axes = (
        {name: {0: 'batch'} for name in (*input_names, *output_names)} if dynamic_batch else None
    )
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the legacy exporter's deprecation notice
        torch.onnx.export(
            module.eval(),
            args,
            buffer,
            dynamo=False,
            opset_version=opset,
            input_names=list(input_names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
        )
    _EXPORT_CACHE[key] = buffer.getvalue()
    return _EXPORT_CACHE[key]


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_spec(
    cameras=(CAMERA,),
    feature_dim=FEATURE_DIM,
    joint_names=JOINT_NAMES,
    action_names=ACTION_NAMES,
    obs_horizon=OBS_HORIZON,
    pred_horizon=PRED_HORIZON,
    action_horizon=ACTION_HORIZON,
    objective='rs_imle',
    opset=17,
    file_sha256=None,
    ee_layout: EePoseLayout | None = None,
) -> PolicySpec:
    if ee_layout is not None:
        joint_names, action_names = ee_layout.state_names, ee_layout.action_names
    state_lo = np.linspace(-2.0, -1.0, len(joint_names)).astype(np.float32)
    action_lo = np.linspace(-1.0, 0.0, len(action_names)).astype(np.float32)
    action_hi = action_lo + 2.0
    if ee_layout is not None:  # small relative steps, the gripper 0 (open) .. 1 (closed)
        action_lo, action_hi = np.full_like(action_lo, -EE_STEP), np.full_like(action_lo, EE_STEP)
        if ee_layout.gripper_index is not None:
            action_lo[ee_layout.gripper_index], action_hi[ee_layout.gripper_index] = 0.0, 1.0
    return PolicySpec(
        cameras=tuple(cameras),
        state_names=tuple(joint_names),
        action_names=tuple(action_names),
        action_kind='joint_position' if ee_layout is None else 'ee_pose',
        obs_horizon=obs_horizon,
        pred_horizon=pred_horizon,
        action_horizon=action_horizon,
        dt=0.1,
        feature_dim=feature_dim,
        state_stats=MinMaxStats(state_lo, state_lo + 4.0),
        action_stats=MinMaxStats(action_lo, action_hi),
        training=TrainingInfo(objective=objective),
        onnx_opset=opset,
        file_sha256=dict(file_sha256 or {}),
        ee_layout=ee_layout,
    )


def make_tiny_bundle(
    tmp_path: Path,
    name: str = 'bundle',
    *,
    cameras=(CAMERA,),
    objective: str = 'rs_imle',
    joint_names=JOINT_NAMES,
    action_names=ACTION_NAMES,
    ee_layout: EePoseLayout | None = None,
    # model deviations from the spec (the spec keeps the defaults)
    model_feature_dim: int | None = None,
    model_action_dim: int | None = None,
    model_pred_horizon: int | None = None,
    fixed_generator_batch: bool = False,
    generator_nan: bool = False,
    encoder_nan: bool = False,
    export_opset: int = 17,
    spec_opset: int | None = None,
    # breakage after export
    omit_files: tuple[str, ...] = (),
    drop_sha: tuple[str, ...] = (),
    tamper: tuple[str, ...] = (),
    corrupt: dict | None = None,
    format_version: int | None = None,
    spec_text: str | None = None,
    omit_spec: bool = False,
) -> Path:
    """
    Write a bundle to tmp_path/name and return its directory.

    tamper: files whose bytes change AFTER the hash was recorded (sha256 mismatch).
    corrupt: {file: "bytes" | "graph"}: replaced BEFORE hashing (hash matches), by random
      bytes, or by a valid protobuf whose graph uses an op ONNX Runtime does not know.
    spec_text: raw policy.json content (e.g. invalid JSON); omit_spec: no policy.json.
    """
    directory = Path(tmp_path) / name
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    spec = make_spec(
        cameras=cameras,
        objective=objective,
        opset=spec_opset or export_opset,
        joint_names=joint_names,
        action_names=action_names,
        ee_layout=ee_layout,
    )
    h, w = cameras[0].model_input_hw
    feature_dim = model_feature_dim or spec.feature_dim
    action_dim = model_action_dim or spec.action_dim
    pred_horizon = model_pred_horizon or spec.pred_horizon

    encoder_bytes = _export(
        TinyEncoder((h, w), feature_dim, encoder_nan),
        (torch.zeros(1, h, w, 3, dtype=torch.uint8),),
        ['image'],
        ['features'],
        export_opset,
        True,
        ('enc', h, w, feature_dim, encoder_nan, export_opset),
    )
    batch = 2
    generator_bytes = _export(
        TinyGenerator(spec.condition_dim, pred_horizon, action_dim, generator_nan),
        (torch.zeros(batch, spec.condition_dim), torch.zeros(batch, pred_horizon, action_dim)),
        ['condition', 'noise'],
        ['actions'],
        export_opset,
        not fixed_generator_batch,
        (
            'gen',
            spec.condition_dim,
            pred_horizon,
            action_dim,
            generator_nan,
            export_opset,
            fixed_generator_batch,
        ),
    )
    contents = {ENCODER_FILE: encoder_bytes, GENERATOR_FILE: generator_bytes}

    for file, how in (corrupt or {}).items():
        if how == 'bytes':
            contents[file] = (
                np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()
            )
        elif how == 'graph':
            # Same length, same protobuf structure, but an op name ORT cannot resolve.
            op = b'Gemm' if b'Gemm' in contents[file] else b'Tanh'
            assert op in contents[file], 'tiny model has no op to rename'
            contents[file] = contents[file].replace(op, b'Gemx', 1)
        else:
            raise ValueError(f'unknown corruption {how!r}')

    hashes = {f: sha256_hex(b) for f, b in contents.items() if f not in drop_sha}
    for file, data in contents.items():
        if file not in omit_files:
            (directory / file).write_bytes(data + (b'\0' if file in tamper else b''))

    spec = make_spec(
        cameras=cameras,
        objective=objective,
        opset=spec_opset or export_opset,
        joint_names=joint_names,
        action_names=action_names,
        file_sha256=hashes,
        ee_layout=ee_layout,
    )
    if format_version is not None:
        spec = dataclasses.replace(spec, format_version=format_version)
    if spec_text is not None:
        (directory / 'policy.json').write_text(spec_text)
    elif not omit_spec:
        spec.write(directory)
    return directory
