# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Load and validate a model bundle (`policy.json`, `encoder.onnx`, `generator.onnx`).

Everything that can be checked is checked before the bundle is used, cheapest first, and
each failure is a BundleError naming the file, the problem and what to do. A node that is
switching models at run time relies on this: a bundle that fails is refused, and the node
keeps the model it had instead of discovering a wrong shape mid-motion.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np
import onnxruntime as ort

from .diffusion import TRAIN_STEPS
from .onnx_opset import read_default_opset
from .policy_spec import BundleError, ENCODER_FILE, GENERATOR_FILE, PolicySpec, SPEC_FILE
from .sessions import CPU, create_session, resolve_provider

# ONNX opsets this runtime accepts (a policy of this package; the export writes
# spec.onnx_opset, 17 by default). Below 13, ops these networks export to had other
# signatures (Squeeze/Unsqueeze/ReduceSum take axes as inputs from 13 on), which would be
# one more export path to test; 21 is the newest opset every onnxruntime from 1.18 runs.
SUPPORTED_OPSETS = range(13, 22)

# ONNX Runtime's CPU provider has no fp16 kernels for these networks' Conv and Gemm on x86:
# it wraps every such layer in Casts back to fp32 (265 of them in the small generator),
# which is slower than the fp32 bundle and keeps fp16's rounding. GPU providers run fp16.
HALF_PRECISION_NEEDS = 'a GPU provider (cuda, tensorrt)'

# Tensor names of the contract (see policy_spec's docstring).
IMAGE_INPUT = 'image'
FEATURES_OUTPUT = 'features'
CONDITION_INPUT = 'condition'
NOISE_INPUT = 'noise'
ACTIONS_OUTPUT = 'actions'
# A diffusion bundle's generator also takes the diffusion step and returns predicted noise.
TIMESTEP_INPUT = 'timestep'
EPSILON_OUTPUT = 'epsilon'


@dataclass
class PolicyBundle:
    """A validated bundle with its ONNX Runtime sessions, ready for inference."""

    spec: PolicySpec
    path: Path
    encoder: ort.InferenceSession | None  # None: a bundle without cameras (a state policy)
    generator: ort.InferenceSession
    encoder_provider: str  # the provider each session actually runs on
    generator_provider: str
    image_input: str = IMAGE_INPUT
    features_output: str = FEATURES_OUTPUT
    condition_input: str = CONDITION_INPUT
    noise_input: str = NOISE_INPUT
    actions_output: str = ACTIONS_OUTPUT
    timestep_input: str = TIMESTEP_INPUT  # diffusion bundles only
    epsilon_output: str = EPSILON_OUTPUT

    @property
    def model_input_hw(self) -> tuple[int, int]:
        """Image size of the encoder's input (shared by all cameras)."""
        if not self.spec.cameras:
            raise ValueError('this bundle has no cameras (a state policy)')
        return self.spec.cameras[0].model_input_hw


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open('rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def load_bundle(
    path: str | Path,
    providers: Sequence[str] = ('cpu',),
    intra_op_threads: int = 0,
    allow_spinning: bool = True,
) -> PolicyBundle:
    """
    Validate the bundle directory `path` and open its sessions; raises BundleError.

    allow_spinning: see runtime.sessions.session_options.
    """
    providers = [providers] if isinstance(providers, str) else list(providers)
    for name in providers:
        resolve_provider(name)  # an unknown name is a config error (ValueError), not a bundle one
    directory = Path(path).expanduser()
    if not directory.is_dir():
        raise BundleError(
            f'{directory}: model bundle directory does not exist; set model_path to a '
            f'directory holding {SPEC_FILE}, {ENCODER_FILE} and {GENERATOR_FILE}'
        )
    spec = PolicySpec.read(directory)
    spec_path = directory / SPEC_FILE
    input_sizes = {c.model_input_hw for c in spec.cameras}
    if len(input_sizes) > 1:
        raise BundleError(
            f'{spec_path}: cameras have different model input sizes {sorted(input_sizes)}; '
            f'one encoder needs one size, so give every camera the same size/crop'
        )

    files = {name: directory / name for name in spec.onnx_files}
    for file in files.values():
        if not file.is_file():
            raise BundleError(
                f'{file}: missing; export the model again so the bundle has '
                f'{" and ".join(spec.onnx_files)}'
            )
    for name, file in files.items():
        _check_sha256(file, name, spec, spec_path)
    for file in files.values():
        _check_opset(file, spec, spec_path)

    generator, generator_provider = _open_session(
        files[GENERATOR_FILE], providers, intra_op_threads, allow_spinning
    )
    encoder, encoder_provider = None, generator_provider
    if ENCODER_FILE in files:
        encoder, encoder_provider = _open_session(
            files[ENCODER_FILE], providers, intra_op_threads, allow_spinning
        )
    for provider in (encoder_provider, generator_provider):
        _check_precision(spec, provider, spec_path)
    bundle = PolicyBundle(
        spec, directory, encoder, generator, encoder_provider, generator_provider
    )
    _check_io(bundle, files)
    _test_inference(bundle, files)
    return bundle


def _check_sha256(file: Path, name: str, spec: PolicySpec, spec_path: Path) -> None:
    expected = spec.file_sha256.get(name)
    if not expected:
        raise BundleError(
            f'{file}: no sha256 entry for {name} in {spec_path} (onnx.sha256); '
            f're-export the bundle so its files are pinned'
        )
    actual = file_sha256(file)
    if actual != str(expected).lower():
        raise BundleError(
            f'{file}: sha256 mismatch (file {actual}, {SPEC_FILE} says {expected}); '
            f'the file was changed or belongs to another export, re-export the bundle'
        )


def _check_opset(file: Path, spec: PolicySpec, spec_path: Path) -> None:
    opset = read_default_opset(file)
    if opset != spec.onnx_opset:
        raise BundleError(
            f'{file}: opset {opset} does not match onnx.opset {spec.onnx_opset} in '
            f'{spec_path}; re-export the bundle'
        )
    if opset not in SUPPORTED_OPSETS:
        raise BundleError(
            f'{file}: opset {opset} is not supported (supported: '
            f'{SUPPORTED_OPSETS.start}..{SUPPORTED_OPSETS.stop - 1}); re-export with '
            f'an opset in that range'
        )


def _check_precision(spec: PolicySpec, provider: str, spec_path: Path) -> None:
    if spec.precision == 'fp16' and provider == CPU:
        raise BundleError(
            f'{spec_path}: an fp16 bundle, and it would run on {provider}, which has no fp16 '
            f'kernels for its layers (it would cast each one back to fp32: slower than the '
            f'fp32 bundle, with fp16 rounding); run it with {HALF_PRECISION_NEEDS}, or use '
            f'the fp32 or an int8 bundle on a CPU'
        )


def _open_session(
    file: Path, providers: Sequence[str], threads: int, allow_spinning: bool
) -> tuple[ort.InferenceSession, str]:
    try:
        return create_session(file, providers, threads, allow_spinning)
    except Exception as exc:  # ORT raises its own exception types (Fail, InvalidGraph, ...)
        raise BundleError(
            f'{file}: ONNX Runtime cannot load it ({type(exc).__name__}: {exc}); '
            f're-export the model'
        ) from exc


def _is_free(dim) -> bool:
    """Return whether dim is symbolic (named) or unknown, as opposed to a fixed integer."""
    return not isinstance(dim, int)


def _check_tensor(
    file: Path, kind: str, args: dict, name: str, dtype: str, expected: Sequence
) -> None:
    """
    Check the tensor `name` (a `kind`) of `file`: its dtype and shape; raise BundleError if not.

    `expected` lists the wanted dims: an int (static size) or None (batch: must be free).
    """
    if name not in args:
        raise BundleError(
            f'{file}: has no {kind} named {name!r} (it has {sorted(args)}); the '
            f'export must follow the bundle contract'
        )
    arg = args[name]
    if arg.type != dtype:
        raise BundleError(f'{file}: {kind} {name!r} is {arg.type}, expected {dtype}')
    shape = arg.shape
    if shape is None or len(shape) != len(expected):
        raise BundleError(
            f'{file}: {kind} {name!r} has shape {shape}, expected rank {len(expected)} '
            f'{_describe(expected)}'
        )
    for axis, (dim, want) in enumerate(zip(shape, expected)):
        if want is None:
            if not _is_free(dim):
                raise BundleError(
                    f'{file}: {kind} {name!r} has its batch dimension fixed to {dim}; '
                    f'export with a dynamic batch axis (dynamic_axes) so N samples '
                    f'run in one call'
                )
        elif isinstance(dim, int) and dim != want:
            raise BundleError(
                f'{file}: {kind} {name!r} has shape {shape}, expected '
                f'{_describe(expected)} (axis {axis} is {dim}, {SPEC_FILE} implies '
                f'{want}); the model and {SPEC_FILE} disagree, re-export the bundle'
            )


def _describe(expected: Sequence) -> str:
    return '[' + ', '.join('B' if d is None else str(d) for d in expected) + ']'


def _check_io(bundle: PolicyBundle, files: dict) -> None:
    spec = bundle.spec
    horizon = (spec.pred_horizon, spec.action_dim)
    gen_file = files[GENERATOR_FILE]
    if bundle.encoder is not None:
        h, w = bundle.model_input_hw
        enc_file = files[ENCODER_FILE]
        enc_inputs = {a.name: a for a in bundle.encoder.get_inputs()}
        enc_outputs = {a.name: a for a in bundle.encoder.get_outputs()}
        _check_tensor(enc_file, 'input', enc_inputs, IMAGE_INPUT, 'tensor(uint8)', (None, h, w, 3))
        features = (None, spec.feature_dim)
        _check_tensor(enc_file, 'output', enc_outputs, FEATURES_OUTPUT, 'tensor(float)', features)
        _reject_extra_inputs(enc_file, enc_inputs, {IMAGE_INPUT})

    gen_inputs = {a.name: a for a in bundle.generator.get_inputs()}
    gen_outputs = {a.name: a for a in bundle.generator.get_outputs()}
    _check_tensor(
        gen_file, 'input', gen_inputs, CONDITION_INPUT, 'tensor(float)', (None, spec.condition_dim)
    )
    _check_tensor(gen_file, 'input', gen_inputs, NOISE_INPUT, 'tensor(float)', (None, *horizon))
    expected_inputs = {CONDITION_INPUT, NOISE_INPUT}
    output = ACTIONS_OUTPUT
    if spec.is_diffusion:
        _check_tensor(gen_file, 'input', gen_inputs, TIMESTEP_INPUT, 'tensor(int64)', (None,))
        expected_inputs.add(TIMESTEP_INPUT)
        output = EPSILON_OUTPUT
    _check_tensor(gen_file, 'output', gen_outputs, output, 'tensor(float)', (None, *horizon))
    _reject_extra_inputs(gen_file, gen_inputs, expected_inputs)


def _reject_extra_inputs(file: Path, inputs: dict, expected: set) -> None:
    # The runtime feeds only the contract's inputs; ORT would fail on the first run otherwise.
    extra = sorted(set(inputs) - expected)
    if extra:
        raise BundleError(
            f'{file}: unexpected inputs {extra} (the contract has {sorted(expected)}); '
            f're-export the model'
        )


def _run_checked(
    file: Path, session: ort.InferenceSession, output: str, feeds: dict, expected_shape: tuple
) -> None:
    try:
        (result,) = session.run([output], feeds)
    except Exception as exc:
        raise BundleError(
            f'{file}: test inference failed ({type(exc).__name__}: {exc}); re-export the model'
        ) from exc
    if result.shape != expected_shape:
        raise BundleError(
            f'{file}: test inference returned {output!r} of shape {result.shape}, '
            f'expected {expected_shape}; the model and {SPEC_FILE} disagree'
        )
    if not np.all(np.isfinite(result)):
        raise BundleError(
            f'{file}: test inference produced non-finite values (NaN/Inf) in '
            f'{output!r}; the weights are broken, re-train or re-export the model'
        )


def _test_inference(bundle: PolicyBundle, files: dict) -> None:
    """Run both models once on zeros: catches shapes that only show at run time and NaN weights."""
    spec = bundle.spec
    if bundle.encoder is not None:
        h, w = bundle.model_input_hw
        _run_checked(
            files[ENCODER_FILE],
            bundle.encoder,
            FEATURES_OUTPUT,
            {IMAGE_INPUT: np.zeros((1, h, w, 3), np.uint8)},
            (1, spec.feature_dim),
        )
    batch = 2  # not 1: shows that the batch axis really is free
    feeds = {
        CONDITION_INPUT: np.zeros((batch, spec.condition_dim), np.float32),
        NOISE_INPUT: np.zeros((batch, spec.pred_horizon, spec.action_dim), np.float32),
    }
    if spec.is_diffusion:  # the last DDIM/DDPM step, and the first (all noise)
        feeds[TIMESTEP_INPUT] = np.array([0, TRAIN_STEPS - 1], np.int64)
    _run_checked(
        files[GENERATOR_FILE],
        bundle.generator,
        EPSILON_OUTPUT if spec.is_diffusion else ACTIONS_OUTPUT,
        feeds,
        (batch, spec.pred_horizon, spec.action_dim),
    )
