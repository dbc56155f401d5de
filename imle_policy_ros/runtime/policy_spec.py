# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`policy.json`: what a model bundle promises about its inputs and outputs.

One definition, read by the runtime and written by `learning.export`, so the writer and
the reader cannot drift apart. numpy + json only.

ONNX contract of a bundle (checked by `runtime.bundle` on load):
  encoder.onnx    input  "image"     uint8   [B, H, W, 3]  RGB, H x W = the camera's model
                                                           input (crop size if it has a crop)
                  output "features"  float32 [B, feature_dim]
  generator.onnx  input  "condition" float32 [B, condition_dim]
                  input  "noise"     float32 [B, pred_horizon, action_dim]
                  output "actions"   float32 [B, pred_horizon, action_dim]  (normalized)
A diffusion bundle (training.objective "diffusion") has Diffusion Policy's noise-prediction
UNet as its generator.onnx instead: inputs "condition", "noise" (the noisy chunk x_t,
normalized) and "timestep" int64 [B] (diffusion step, 0..99), output "epsilon" float32
[B, pred_horizon, action_dim] (the predicted noise); `sampling.diffusion_sampler` names
the sampler the runtime runs over it by default (runtime.diffusion; ddim10 or ddpm100).
The condition of one inference is, for each of the last obs_horizon steps (oldest first),
the features of every camera (in `cameras` order) followed by the normalized state.
A bundle may have no cameras (a state policy, e.g. Push-T's keypoints variant): it has no
encoder.onnx, and its condition is the normalized state alone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
import json
from pathlib import Path

from .ee_layout import EePoseLayout
from .hand_relative import relative_problems
from .normalization import MinMaxStats
from ..errors import Refusal

# 2: the state is named neutrally ('state': {'names'}; version 1 said joint_names) and
# ee_pose bundles declare their layout. Version 1 bundles are still read.
FORMAT_VERSION = 2
SUPPORTED_FORMAT_VERSIONS = (1, 2)
ACTION_KINDS = ('joint_position', 'ee_pose')
OBJECTIVES = ('rs_imle', 'mse', 'diffusion')
# How a diffusion bundle draws a chunk: 10 DDIM steps or 100 DDPM steps (runtime.diffusion).
DIFFUSION_SAMPLERS = ('ddim10', 'ddpm100')
DEFAULT_DIFFUSION_SAMPLER = 'ddim10'
# Arithmetic of the networks: fp32 as exported; int8 (QDQ) and fp16 written by `quantize`.
PRECISIONS = ('fp32', 'int8', 'fp16')
ENCODER_FILE = 'encoder.onnx'
GENERATOR_FILE = 'generator.onnx'
SPEC_FILE = 'policy.json'


class BundleError(Refusal, ValueError):
    """A model bundle that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class CameraSpec:
    name: str
    height: int  # frames are resized to height x width ...
    width: int
    crop: tuple[int, int] | None = (
        None  # ... then center-cropped to this (random crop in training)
    )
    # A depth camera's frames are depth in metres, shown to the encoder as grey that is white
    # at this distance (runtime.preprocess); None: a colour camera.
    depth_max_m: float | None = None

    @property
    def model_input_hw(self) -> tuple[int, int]:
        return (self.crop[0], self.crop[1]) if self.crop else (self.height, self.width)


@dataclass(frozen=True)
class TrainingInfo:
    objective: str = 'rs_imle'
    epsilon: float = 0.03
    num_samples_per_example: int = 20  # m of RS-IMLE
    steps: int = 0
    seed: int = 0
    data_hash: str = ''


@dataclass(frozen=True)
class PolicySpec:
    cameras: tuple[CameraSpec, ...]
    state_names: tuple[str, ...]  # low-dim state, in the order the condition uses
    action_names: tuple[str, ...]
    action_kind: str
    obs_horizon: int
    pred_horizon: int
    action_horizon: int
    dt: float  # seconds between consecutive actions of a chunk (the dataset's rate)
    feature_dim: int
    state_stats: MinMaxStats
    action_stats: MinMaxStats
    training: TrainingInfo = field(default_factory=TrainingInfo)
    onnx_opset: int = 17
    file_sha256: dict = field(default_factory=dict)  # file name -> hex digest
    format_version: int = FORMAT_VERSION
    # ee_pose: what the action and state dimensions are, the frames, the gripper channel,
    # and whether actions are relative to the observed pose (runtime/ee_layout.py)
    ee_layout: EePoseLayout | None = None
    precision: str = 'fp32'
    # quantize's record: the calibration data's hash and source, and the quality gate's
    # figures against the fp32 bundle it came from (empty for fp32)
    quantization: dict = field(default_factory=dict)
    # diffusion bundles: the sampler the runtime runs unless told otherwise (None otherwise)
    diffusion_sampler: str | None = None
    # state names, in x y z triples, fed as offsets from the end effector (hand_relative.py)
    relative_to_ee: tuple[str, ...] = ()

    @property
    def onnx_files(self) -> tuple[str, ...]:
        """Return the ONNX files of this bundle (no encoder without cameras)."""
        return (ENCODER_FILE, GENERATOR_FILE) if self.cameras else (GENERATOR_FILE,)

    @property
    def is_diffusion(self) -> bool:
        return self.training.objective == 'diffusion'

    @property
    def state_dim(self) -> int:
        return len(self.state_names)

    @property
    def extra_state_names(self) -> tuple[str, ...]:
        """Return an ee_pose bundle's state beyond its layout's (named inputs, e.g. objects)."""
        if self.ee_layout is None:
            return ()
        layout_dim = len(self.ee_layout.state_names)
        return self.state_names[layout_dim:]

    @property
    def action_dim(self) -> int:
        return len(self.action_names)

    @property
    def condition_dim(self) -> int:
        return self.obs_horizon * (len(self.cameras) * self.feature_dim + self.state_dim)

    def taking_dataset_frames(self) -> 'PolicySpec':
        """
        Return this spec with its depth cameras taking frames already mapped to grey.

        Mapped to grey as a dataset stores them (replay feeds recorded dataset frames, not
        live depth).
        """
        cameras = tuple(replace(c, depth_max_m=None) for c in self.cameras)
        return replace(self, cameras=cameras)

    # ---- json -------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            'format_version': self.format_version,
            'cameras': [
                {
                    'name': c.name,
                    'height': c.height,
                    'width': c.width,
                    'crop': list(c.crop) if c.crop else None,
                    'depth_max_m': c.depth_max_m,
                }
                for c in self.cameras
            ],
            'state': {
                'names': list(self.state_names),
                'relative_to_ee': list(self.relative_to_ee),
            },
            'action': {
                'kind': self.action_kind,
                'names': list(self.action_names),
                'ee_layout': self.ee_layout.to_dict() if self.ee_layout else None,
            },
            'obs_horizon': self.obs_horizon,
            'pred_horizon': self.pred_horizon,
            'action_horizon': self.action_horizon,
            'dt': self.dt,
            'feature_dim': self.feature_dim,
            'normalization': {
                'state': self.state_stats.to_dict(),
                'action': self.action_stats.to_dict(),
            },
            'training': asdict(self.training),
            'onnx': {
                'opset': self.onnx_opset,
                'sha256': dict(self.file_sha256),
                'precision': self.precision,
                'quantization': dict(self.quantization),
            },
            'sampling': {'diffusion_sampler': self.diffusion_sampler},
        }

    @classmethod
    def from_dict(cls, d: dict, source: str = SPEC_FILE) -> 'PolicySpec':
        try:
            version = int(d['format_version'])
            if version not in SUPPORTED_FORMAT_VERSIONS:
                raise BundleError(
                    f'{source}: format_version {version} is not supported (this package reads '
                    f'{list(SUPPORTED_FORMAT_VERSIONS)}); re-export the model with this version'
                )
            cameras = tuple(
                CameraSpec(
                    str(c['name']),
                    int(c['height']),
                    int(c['width']),
                    (int(c['crop'][0]), int(c['crop'][1])) if c.get('crop') else None,
                    float(c['depth_max_m']) if c.get('depth_max_m') is not None else None,
                )
                for c in d['cameras']
            )
            spec = cls(
                cameras=cameras,
                state_names=tuple(
                    str(n) for n in d['state']['names' if version >= 2 else 'joint_names']
                ),
                relative_to_ee=tuple(str(n) for n in d['state'].get('relative_to_ee', ())),
                action_names=tuple(str(n) for n in d['action']['names']),
                action_kind=str(d['action']['kind']),
                obs_horizon=int(d['obs_horizon']),
                pred_horizon=int(d['pred_horizon']),
                action_horizon=int(d['action_horizon']),
                dt=float(d['dt']),
                feature_dim=int(d['feature_dim']),
                state_stats=MinMaxStats.from_dict(d['normalization']['state']),
                action_stats=MinMaxStats.from_dict(d['normalization']['action']),
                training=TrainingInfo(**d.get('training', {})),
                onnx_opset=int(d['onnx']['opset']),
                file_sha256=dict(d['onnx']['sha256']),
                precision=str(d['onnx'].get('precision', 'fp32')),
                quantization=dict(d['onnx'].get('quantization') or {}),
                format_version=version,
                diffusion_sampler=(d.get('sampling') or {}).get('diffusion_sampler'),
                ee_layout=(
                    EePoseLayout.from_dict(d['action']['ee_layout'])
                    if d['action'].get('ee_layout')
                    else None
                ),
            )
        except BundleError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f'{source}: malformed ({type(exc).__name__}: {exc})') from exc
        spec.check(source)
        return spec

    def check(self, source: str = SPEC_FILE) -> None:
        """Check internal consistency; raises BundleError naming the field."""
        problems = []
        if not self.cameras and not self.state_names:
            problems.append('no cameras and no state: the policy would see nothing')
        problems += relative_problems(self.state_names, self.relative_to_ee)
        names = [c.name for c in self.cameras]
        if len(set(names)) != len(names):
            problems.append(f'duplicate camera names {names}')
        for c in self.cameras:
            if c.height <= 0 or c.width <= 0:
                problems.append(f'camera {c.name!r}: size must be positive')
            if c.crop and (
                len(c.crop) != 2 or c.crop[0] > c.height or c.crop[1] > c.width or min(c.crop) <= 0
            ):
                problems.append(
                    f'camera {c.name!r}: crop {c.crop} does not fit in {c.height}x{c.width}'
                )
            if c.depth_max_m is not None and not c.depth_max_m > 0:
                problems.append(f'camera {c.name!r}: depth_max_m {c.depth_max_m} must be > 0 m')
        if self.action_kind not in ACTION_KINDS:
            problems.append(f'action kind {self.action_kind!r} is not one of {ACTION_KINDS}')
        problems += self._layout_problems()
        if self.precision not in PRECISIONS:
            problems.append(
                f'precision {self.precision!r} is not one of {PRECISIONS} (a newer export?)'
            )
        if self.training.objective not in OBJECTIVES:
            problems.append(
                f'training objective {self.training.objective!r} is not one of {OBJECTIVES}'
            )
        problems += self._sampler_problems()
        if not (1 <= self.action_horizon <= self.pred_horizon):
            problems.append(
                f'action_horizon {self.action_horizon} must be in 1..pred_horizon '
                f'({self.pred_horizon})'
            )
        if self.obs_horizon < 1:
            problems.append('obs_horizon must be at least 1')
        if not self.dt > 0:
            problems.append('dt must be positive')
        if self.state_stats.dim != self.state_dim:
            problems.append(
                f'state normalization has {self.state_stats.dim} dims for {self.state_dim} joints'
            )
        if self.action_stats.dim != self.action_dim:
            problems.append(
                f'action normalization has {self.action_stats.dim} dims for '
                f'{self.action_dim} actions'
            )
        if problems:
            raise BundleError(f'{source}: ' + '; '.join(problems))

    def _sampler_problems(self) -> list[str]:
        if not self.is_diffusion:
            if self.diffusion_sampler is not None:
                return ['only a diffusion bundle names a sampling.diffusion_sampler']
            return []
        if self.diffusion_sampler not in DIFFUSION_SAMPLERS:
            return [
                f'sampling.diffusion_sampler {self.diffusion_sampler!r} is not one of '
                f'{DIFFUSION_SAMPLERS}'
            ]
        return []

    def _layout_problems(self) -> list[str]:
        layout = self.ee_layout
        if self.action_kind != 'ee_pose':
            return ['only an ee_pose bundle has an ee_layout'] if layout else []
        if layout is None:
            return ['an ee_pose bundle must declare its ee_layout (action.ee_layout)']
        problems = []
        if self.action_names != layout.action_names:
            problems.append(
                f'action names {list(self.action_names)} are not those of its ee_layout '
                f'{list(layout.action_names)}'
            )
        if self.state_names[: len(layout.state_names)] != layout.state_names:
            problems.append(
                f'state names {list(self.state_names)} do not begin with those of its '
                f'ee_layout {list(layout.state_names)}'
            )
        return problems

    def write(self, directory: Path) -> Path:
        path = Path(directory) / SPEC_FILE
        path.write_text(json.dumps(self.to_dict(), indent=2) + '\n')
        return path

    @classmethod
    def read(cls, directory: Path) -> 'PolicySpec':
        path = Path(directory) / SPEC_FILE
        if not path.is_file():
            raise BundleError(
                f'{path}: missing; a bundle needs {SPEC_FILE}, {ENCODER_FILE}, {GENERATOR_FILE}'
            )
        try:
            data = json.loads(path.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BundleError(f'{path}: not valid JSON ({exc})') from exc
        return cls.from_dict(data, source=str(path))
