# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""OnnxPolicy: encoding, condition layout, one-call sampling, selection, unnormalization."""

from __future__ import annotations

import dataclasses

from bundle_factory import ACTION_HORIZON, CAMERA, FEATURE_DIM, make_tiny_bundle, PRED_HORIZON
from imle_policy_ros.runtime import CameraSpec, load_bundle, OnnxPolicy
from imle_policy_ros.runtime.policy import NonFiniteOutputError
import numpy as np
import pytest

CAMERAS = (CAMERA, CameraSpec('wrist', 16, 16))  # same model input size (16x16)


@pytest.fixture(scope='module')
def bundle(tmp_path_factory):
    return load_bundle(make_tiny_bundle(tmp_path_factory.mktemp('policy'), cameras=CAMERAS))


def observation(spec, seed=0):
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((spec.obs_horizon, len(spec.cameras), spec.feature_dim))
    joints = rng.uniform(-2, 2, (spec.obs_horizon, spec.state_dim))
    return features.astype(np.float32), joints.astype(np.float32)


class CountingSession:
    """Wraps an ORT session to count calls and record feeds."""

    def __init__(self, session):
        self.session, self.calls, self.feeds = session, 0, []

    def run(self, outputs, feeds):
        self.calls += 1
        self.feeds.append(feeds)
        return self.session.run(outputs, feeds)


def test_encode_and_encode_batch(bundle):
    policy = OnnxPolicy(bundle)
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (40, 48, 3), dtype=np.uint8) for _ in CAMERAS]
    single = [policy.encode(i, f) for i, f in enumerate(frames)]
    assert single[0].shape == (FEATURE_DIM,) and single[0].dtype == np.float32
    np.testing.assert_allclose(policy.encode('wrist', frames[1]), single[1])
    batch = policy.encode_batch(frames)
    assert batch.shape == (2, FEATURE_DIM)
    np.testing.assert_allclose(batch, np.stack(single), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='unknown camera'):
        policy.encode('top', frames[0])
    with pytest.raises(ValueError, match='2 cameras'):
        policy.encode_batch(frames[:1])
    assert policy.encode_batch(frames[:1], cameras=['wrist']).shape == (1, FEATURE_DIM)


def test_condition_layout(bundle):
    spec = bundle.spec
    policy = OnnxPolicy(bundle)
    features, joints = observation(spec)
    cond = policy.condition(features, joints)
    assert cond.shape == (spec.condition_dim,) and cond.dtype == np.float32
    state = spec.state_stats.normalize(joints)
    step = 2 * FEATURE_DIM + spec.state_dim
    two_features = 2 * FEATURE_DIM
    for t in range(spec.obs_horizon):  # oldest step first
        start, end = t * step, (t + 1) * step
        block = cond[start:end]
        np.testing.assert_array_equal(block[:FEATURE_DIM], features[t, 0])  # cameras in order
        np.testing.assert_array_equal(block[FEATURE_DIM:two_features], features[t, 1])
        np.testing.assert_allclose(block[two_features:], state[t])  # then normalized state
    # normalization really happened: the stats map [min, max] to [-1, 1]
    lo = np.stack([spec.state_stats.min] * spec.obs_horizon)
    assert np.allclose(policy.condition(features, lo)[two_features:step], -1.0)


def test_condition_rejects_bad_shapes(bundle):
    policy = OnnxPolicy(bundle)
    features, joints = observation(bundle.spec)
    with pytest.raises(ValueError, match='features must be'):
        policy.condition(features[:, :1], joints)
    with pytest.raises(ValueError, match='state must be'):
        policy.condition(features, joints[:, :2])
    joints[0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        policy.condition(features, joints)


def test_sampling_is_one_call_with_n_different_noises(bundle):
    policy = OnnxPolicy(bundle, seed=0)
    counting = CountingSession(bundle.generator)
    policy.bundle = dataclasses.replace(bundle, generator=counting)
    cond = policy.condition(*observation(bundle.spec))
    samples = policy.sample(cond, 32)
    assert counting.calls == 1
    assert samples.shape == (32, PRED_HORIZON, bundle.spec.action_dim)
    feeds = counting.feeds[0]
    assert feeds['noise'].shape == (32, PRED_HORIZON, bundle.spec.action_dim)
    assert feeds['noise'].dtype == np.float32 and abs(float(feeds['noise'].std()) - 1.0) < 0.1
    assert np.all(feeds['condition'] == cond)  # the same condition for every sample
    assert len({s.tobytes() for s in samples}) == 32  # different noise -> different chunks
    assert policy.sample(cond, num_samples=5).shape[0] == 5


def test_seed_makes_sampling_reproducible(bundle):
    cond = OnnxPolicy(bundle).condition(*observation(bundle.spec))
    a = OnnxPolicy(bundle, seed=7).sample(cond, 32)
    b = OnnxPolicy(bundle, seed=7).sample(cond, 32)
    np.testing.assert_array_equal(a, b)


def test_mse_bundle_uses_zero_noise(tmp_path):
    bundle = load_bundle(make_tiny_bundle(tmp_path, objective='mse'))
    policy = OnnxPolicy(bundle, seed=0)
    cond = policy.condition(*observation(bundle.spec))
    samples = policy.sample(cond, 4)
    (expected,) = bundle.generator.run(
        ['actions'],
        {
            'condition': np.tile(cond, (1, 1)),
            'noise': np.zeros((1, PRED_HORIZON, bundle.spec.action_dim), np.float32),
        },
    )
    np.testing.assert_allclose(samples, expected)  # zero noise: one call gives every sample
    out = policy.act(*observation(bundle.spec), num_samples=4)
    assert out.samples_normalized.shape[0] == 1 and out.index == 0  # deterministic: one suffices


def test_act_unnormalizes_the_chosen_chunk(bundle):
    spec = bundle.spec
    policy = OnnxPolicy(bundle, seed=3)
    first = policy.act(*observation(spec, 0), num_samples=16)
    assert first.index == 0 and not first.used_reference  # no reference: the first sample
    assert first.samples_normalized.shape[0] == 16
    assert first.actions.shape == (PRED_HORIZON, spec.action_dim) and first.inference_ms > 0
    np.testing.assert_allclose(
        first.actions, spec.action_stats.unnormalize(first.chosen_normalized)
    )


def test_act_chooses_the_sample_closest_to_the_reference(bundle):
    spec = bundle.spec
    policy = OnnxPolicy(bundle, seed=4)
    reference = np.zeros((4, spec.action_dim), np.float32)
    out = policy.act(*observation(spec), num_samples=8, reference=reference, reference_offset=2)
    seg = out.samples_normalized[:, 2:6]
    assert out.index == int(np.argmin(((seg - reference) ** 2).sum(axis=(1, 2))))
    assert out.used_reference
    # the reference rule itself: what the previous chunk had left, against the new starts
    first = policy.act(*observation(spec, 0), num_samples=16)
    remainder = first.chosen_normalized[ACTION_HORIZON:]
    second = policy.act(*observation(spec, 1), num_samples=16, reference=remainder)
    segment = second.samples_normalized[:, : PRED_HORIZON - ACTION_HORIZON]
    distances = np.linalg.norm((segment - remainder).reshape(16, -1), axis=1)
    assert second.index == int(np.argmin(distances))


def test_non_finite_model_output_raises(bundle):
    class NanSession:
        """A generator session whose every output is NaN."""

        def run(self, outputs, feeds):
            n = feeds['noise'].shape[0]
            return [np.full((n, PRED_HORIZON, bundle.spec.action_dim), np.nan, np.float32)]

    policy = OnnxPolicy(bundle)
    policy.bundle = dataclasses.replace(bundle, generator=NanSession())
    with pytest.raises(NonFiniteOutputError, match='non-finite') as info:
        policy.act(*observation(bundle.spec), num_samples=4)
    assert isinstance(info.value, RuntimeError)


def test_bad_num_samples(bundle):
    policy = OnnxPolicy(bundle)
    with pytest.raises(ValueError, match='num_samples'):
        policy.sample(policy.condition(*observation(bundle.spec)), 0)
