# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
OnnxPolicy: frames + joint positions -> an action chunk, with a loaded PolicyBundle.

The three steps of IMLE Policy inference, kept separate because they run at different
times on the robot: `encode` once per camera frame as it arrives (the history keeps
features, not images), `condition` + `sample` once per chunk (ONE generator call with
batch N), and the consistency selection that picks which of the N chunks to execute.
A diffusion bundle (the Diffusion Policy baseline) samples with its DDIM-10 or DDPM-100
loop instead (runtime.diffusion: 10 or 100 generator calls with batch N); what `sample`
returns, and everything after it, is the same for every objective.
numpy + onnxruntime only; no ROS, no clock (the caller stamps chunks).
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
import time
from typing import Sequence

import numpy as np

from .bundle import PolicyBundle
from .consistency import choose
from .diffusion import run_sampler, session_denoiser
from .hand_relative import relative_indices, to_hand_relative
from .policy_spec import CameraSpec, DIFFUSION_SAMPLERS
from .preprocess import prepare_frame


class NonFiniteOutputError(RuntimeError):
    """A model produced NaN or Inf: the output must not reach the robot."""


@dataclass(frozen=True)
class PolicyOutput:
    actions: np.ndarray  # [pred_horizon, action_dim] chosen chunk, action units (unnormalized)
    index: int  # which of the samples was chosen
    samples_normalized: np.ndarray  # [N, pred_horizon, action_dim], all samples, normalized
    inference_ms: float  # condition + generator + selection + unnormalize, wall time
    used_reference: bool  # whether the choice compared against a previous chunk

    @property
    def chosen_normalized(self) -> np.ndarray:
        """Chosen chunk, normalized (what a caller passes back as a reference)."""
        return self.samples_normalized[self.index]


class OnnxPolicy:
    """
    Inference with a validated bundle: it samples, the caller decides.

    How many chunks to draw and what to compare them with come with each call (the
    controller owns those settings and the consistency state). `encode*` may be called
    from camera callbacks while `act` runs in the inference thread: ORT sessions are
    thread-safe, and the noise generator is guarded by a lock.

    diffusion_sampler: for a diffusion bundle, 'ddim10' or 'ddpm100' instead of the one its
    policy.json names (sampling.diffusion_sampler); other bundles ignore it, so one setting
    can stay in a config that switches between models of different objectives.
    """

    def __init__(
        self, bundle: PolicyBundle, seed: int | None = None, diffusion_sampler: str | None = None
    ):
        if diffusion_sampler is not None and diffusion_sampler not in DIFFUSION_SAMPLERS:
            raise ValueError(
                f'unknown diffusion_sampler {diffusion_sampler!r}; choose one of '
                f'{", ".join(DIFFUSION_SAMPLERS)}'
            )
        self.bundle = bundle
        self.spec = bundle.spec
        self.diffusion_sampler = (
            (diffusion_sampler or self.spec.diffusion_sampler) if self.spec.is_diffusion else None
        )
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        # An MSE-trained generator saw only zero noise, so it is deterministic: all N samples
        # would be identical.
        self._deterministic = self.spec.training.objective == 'mse'
        layout = self.spec.ee_layout
        self._consistency_weights = layout.consistency_weights() if layout else None
        # [K, 3] state indices fed as offsets from the hand (checked when the spec loaded)
        self._hand_relative = relative_indices(self.spec.state_names, self.spec.relative_to_ee)

    # ---- encoder ----------------------------------------------------------------------
    def camera(self, camera: int | str) -> CameraSpec:
        """Return the CameraSpec by index (in policy.json order) or by name."""
        cameras = self.spec.cameras
        if isinstance(camera, (int, np.integer)):
            if not 0 <= camera < len(cameras):
                raise ValueError(
                    f'camera index {camera} out of range; the bundle has {len(cameras)} cameras'
                )
            return cameras[int(camera)]
        for spec in cameras:
            if spec.name == camera:
                return spec
        raise ValueError(
            f"unknown camera {camera!r}; the bundle's cameras are {[c.name for c in cameras]}"
        )

    def encode(self, camera: int | str, frame: np.ndarray) -> np.ndarray:
        """
        Encode one frame of `camera` -> features (feature_dim,) float32.

        The frame: uint8 RGB, or float depth in metres for a depth camera.
        """
        return self.encode_batch([frame], [camera])[0]

    def encode_batch(
        self, frames: Sequence[np.ndarray], cameras: Sequence[int | str] | None = None
    ) -> np.ndarray:
        """
        Several frames in one encoder call -> [len(frames), feature_dim] float32.

        `cameras` names the camera of each frame; by default frames[i] belongs to camera i
        (one frame per camera, in policy.json order). One call is possible because all
        cameras of a bundle share one model input size.
        """
        if cameras is None:
            cameras = range(len(self.spec.cameras))
            if len(frames) != len(self.spec.cameras):
                raise ValueError(
                    f'got {len(frames)} frames for {len(self.spec.cameras)} cameras; pass '
                    f'one frame per camera or say which camera each frame is from'
                )
        if len(frames) != len(cameras) or len(frames) == 0:
            raise ValueError(
                f'need one camera per frame and at least one frame '
                f'({len(frames)} frames, {len(cameras)} cameras)'
            )
        encoder = self.bundle.encoder
        if encoder is None:
            raise ValueError('this bundle has no cameras (a state policy): it takes no frames')
        images = np.stack([prepare_frame(f, self.camera(c)) for f, c in zip(frames, cameras)])
        (features,) = encoder.run([self.bundle.features_output], {self.bundle.image_input: images})
        _require_finite(features, 'encoder features')
        return np.asarray(features, dtype=np.float32)

    # ---- generator --------------------------------------------------------------------
    def condition(self, features: np.ndarray, state: np.ndarray) -> np.ndarray:
        """
        Build the generator condition: (condition_dim,) float32.

        features: [obs_horizon, n_cameras, feature_dim], oldest step first (a bundle without
        cameras takes any empty array here).
        state: [obs_horizon, state_dim] in raw units (normalized here), in the order of the
        bundle's state names (joint positions, or the end-effector state of its layout).
        Per step: every camera's features (policy.json order), then the normalized state;
        steps are concatenated oldest first.
        """
        spec = self.spec
        features = np.asarray(features, dtype=np.float32)
        joints = np.asarray(state, dtype=np.float32)
        want_f = (spec.obs_horizon, len(spec.cameras), spec.feature_dim)
        if not spec.cameras and features.size == 0:
            features = np.zeros(want_f, np.float32)
        want_j = (spec.obs_horizon, spec.state_dim)
        if features.shape != want_f:
            raise ValueError(
                f'features must be [obs_horizon, n_cameras, feature_dim] = {list(want_f)}, '
                f'got {list(features.shape)}'
            )
        if joints.shape != want_j:
            raise ValueError(
                f'state must be [obs_horizon, state_dim] = {list(want_j)}, '
                f'got {list(joints.shape)}'
            )
        if not (np.all(np.isfinite(features)) and np.all(np.isfinite(joints))):
            raise ValueError('features or state contain NaN/Inf')
        if len(self._hand_relative):
            joints = to_hand_relative(joints, self._hand_relative)
        state = spec.state_stats.normalize(joints)
        per_step = np.concatenate([features.reshape(spec.obs_horizon, -1), state], axis=1)
        return np.ascontiguousarray(per_step.reshape(-1), dtype=np.float32)

    def sample(self, condition: np.ndarray, num_samples: int) -> np.ndarray:
        """
        Return N normalized chunks [N, pred_horizon, action_dim].

        ONE generator call; a diffusion bundle runs its sampler's 10 or 100 instead.
        """
        spec = self.spec
        n = 1 if self._deterministic else int(num_samples)
        if n < 1:
            raise ValueError(f'num_samples must be >= 1, got {n}')
        condition = np.asarray(condition, dtype=np.float32).reshape(-1)
        if condition.shape != (spec.condition_dim,):
            raise ValueError(
                f'condition must have {spec.condition_dim} values, got {condition.size}'
            )
        shape = (n, spec.pred_horizon, spec.action_dim)
        if self._deterministic:
            noise = np.zeros(shape, np.float32)  # the model was trained with zero noise
        else:
            noise = self._standard_normal(shape)
        conditions = np.ascontiguousarray(np.broadcast_to(condition, (n, spec.condition_dim)))
        if self.diffusion_sampler:
            actions = self._denoise(self.diffusion_sampler, conditions, noise)
        else:
            (actions,) = self.bundle.generator.run(
                [self.bundle.actions_output],
                {self.bundle.condition_input: conditions, self.bundle.noise_input: noise},
            )
        if actions.shape != shape:
            raise RuntimeError(f'generator returned shape {actions.shape}, expected {shape}')
        _require_finite(actions, 'generator actions')
        return np.asarray(actions, dtype=np.float32)

    def _standard_normal(self, shape: tuple) -> np.ndarray:
        with self._lock:  # np.random.Generator is not thread-safe
            return self._rng.standard_normal(shape, dtype=np.float32)

    def _denoise(self, sampler: str, conditions: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Diffusion bundles: x_T = noise -> x_0 by the chosen sampler over generator.onnx."""
        b = self.bundle
        names = (b.condition_input, b.noise_input, b.timestep_input, b.epsilon_output)
        denoiser = session_denoiser(b.generator, conditions, names)
        # DDPM's step noise comes from the policy's generator too, so a seed repeats it all.
        return run_sampler(sampler, denoiser, noise, self._standard_normal)

    def act(
        self,
        features: np.ndarray,
        state: np.ndarray,
        num_samples: int,
        reference: np.ndarray | None = None,
        reference_offset: int = 0,
    ) -> PolicyOutput:
        """
        Condition, sample N chunks, choose one, unnormalize.

        reference: the NORMALIZED [L, action_dim] segment to be consistent with (the part of
        the running chunk that the new one overlaps, from consistency.aligned_reference),
        compared with samples[:, reference_offset:reference_offset+L]; without it the first
        sample is taken (consistency.choose). A deterministic (MSE) model draws one sample.
        """
        start = time.perf_counter()
        condition = self.condition(features, state)
        samples = self.sample(condition, num_samples)
        index = choose(samples, reference, reference_offset, self._consistency_weights)
        actions = self.spec.action_stats.unnormalize(samples[index])
        elapsed_ms = (time.perf_counter() - start) * 1e3
        return PolicyOutput(actions, index, samples, elapsed_ms, reference is not None)


def _require_finite(values: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(values)):
        bad = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
        raise NonFiniteOutputError(
            f'{what} contain {bad} non-finite values (NaN/Inf); the model '
            f'output is unusable and must not be sent to the robot'
        )
