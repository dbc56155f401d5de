# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The Diffusion Policy baseline: `--objective diffusion` trains, exports and runs.

A tiny real training on the two-mode toy data (its denoising loss must fall clearly), the
exporter's noise-prediction bundle, the runtime's DDIM-10 / DDPM-100 loops over it, and
the runtime's numpy samplers against the torch ones of learning.diffusion_samplers.
"""

from __future__ import annotations

import dataclasses
import json

from imle_policy_ros.data.two_mode_toy import write_two_mode_dataset
from imle_policy_ros.learning import diffusion_samplers as torch_samplers
from imle_policy_ros.learning.export import export_bundle, load_checkpoint_network
from imle_policy_ros.learning.export_config import ExportConfig
from imle_policy_ros.learning.train import train, TrainConfig
from imle_policy_ros.runtime import BundleError, diffusion, load_bundle, OnnxPolicy
from imle_policy_ros.settings import SettingError
import numpy as np
import pytest
import torch

STEPS = 150


def tiny_config(dataset, out, steps=STEPS, **kw):
    settings = {
        'dataset': str(dataset),
        'output_dir': str(out),
        'objective': 'diffusion',
        'steps': steps,
        'batch_size': 16,
        'obs_horizon': 1,
        'pred_horizon': 8,
        'action_horizon': 1,
        'encoder_width': 2,
        'down_dims': (8, 16),
        'warmup_steps': 5,
        'lr': 3e-3,
        'log_every': 1,
        'checkpoint_every': 1000,
        'progress': False,
        'threads': 1,
        'seed': 0,
    }
    return TrainConfig(**{**settings, **kw})


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work = tmp_path_factory.mktemp('diffusion')
    write_two_mode_dataset(work / 'data', episodes=16)
    checkpoint = train(tiny_config(work / 'data', work / 'run'))
    bundle_dir, report = export_bundle(checkpoint, work / 'bundle')
    return {'work': work, 'checkpoint': checkpoint, 'bundle': bundle_dir, 'parity': report}


@pytest.fixture(scope='module')
def bundle(trained):
    return load_bundle(trained['bundle'], intra_op_threads=1)


def observation(spec):
    features = np.random.default_rng(0).standard_normal(
        (spec.obs_horizon, len(spec.cameras), spec.feature_dim), dtype=np.float32
    )
    return features, np.zeros((spec.obs_horizon, spec.state_dim), np.float32)


class CountingSession:
    """Wraps the generator session to record the step of every call."""

    def __init__(self, session):
        self.session, self.steps = session, []

    def run(self, outputs, feeds):
        self.steps.append(int(feeds['timestep'][0]))
        return self.session.run(outputs, feeds)


def test_denoising_loss_falls_clearly(trained):
    log = (trained['work'] / 'run' / 'train_log.jsonl').read_text().splitlines()
    losses = [json.loads(line)['loss'] for line in log]
    assert len(losses) == STEPS
    first, last = np.mean(losses[:10]), np.mean(losses[-10:])
    assert first > 0.8  # predicting zero noise scores ~1: an untrained net is about there
    assert last < 0.7 * first, (first, last)


def test_bundle_is_a_noise_predictor_with_a_default_sampler(trained, bundle):
    spec = json.loads((trained['bundle'] / 'policy.json').read_text())
    assert spec['training']['objective'] == 'diffusion'
    assert spec['sampling'] == {'diffusion_sampler': 'ddim10'}
    inputs = {a.name: a.type for a in bundle.generator.get_inputs()}
    assert inputs == {
        'condition': 'tensor(float)',
        'noise': 'tensor(float)',
        'timestep': 'tensor(int64)',
    }
    assert [a.name for a in bundle.generator.get_outputs()] == ['epsilon']
    assert trained['parity'].generator_max_abs_diff < 1e-4
    net, ckpt = load_checkpoint_network(trained['checkpoint'])
    assert ckpt['network_config']['timestep_embed_dim'] == 8  # the UNet's first level


@pytest.mark.parametrize('sampler, calls', [('ddim10', 10), ('ddpm100', 100)])
def test_runtime_samples_with_either_sampler(bundle, sampler, calls):
    policy = OnnxPolicy(bundle, seed=0, diffusion_sampler=sampler)
    counting = CountingSession(bundle.generator)
    policy.bundle = dataclasses.replace(bundle, generator=counting)
    out = policy.act(*observation(bundle.spec), num_samples=6)
    spec = bundle.spec
    assert out.samples_normalized.shape == (6, spec.pred_horizon, spec.action_dim)
    assert out.actions.shape == (spec.pred_horizon, spec.action_dim)
    assert np.all(np.isfinite(out.samples_normalized))
    assert np.all(np.abs(out.samples_normalized) <= 1.0 + 1e-5)  # clipped x0 estimates
    assert out.samples_normalized.std(axis=0).mean() > 1e-3  # different noise, other chunks
    assert len(counting.steps) == calls and counting.steps[-1] == 0
    again = OnnxPolicy(bundle, seed=0, diffusion_sampler=sampler)
    np.testing.assert_array_equal(
        again.act(*observation(spec), num_samples=6).samples_normalized, out.samples_normalized
    )


def test_the_bundle_default_sampler_is_used_without_a_choice(bundle):
    assert OnnxPolicy(bundle).diffusion_sampler == 'ddim10'
    assert OnnxPolicy(bundle, diffusion_sampler='ddpm100').diffusion_sampler == 'ddpm100'


def _torch_and_runtime_denoisers(trained, bundle, n=4):
    net, _ = load_checkpoint_network(trained['checkpoint'])
    rng = np.random.default_rng(3)
    condition = rng.standard_normal((n, bundle.spec.condition_dim), dtype=np.float32)
    noise = rng.standard_normal((n, bundle.spec.pred_horizon, bundle.spec.action_dim))
    noise = noise.astype(np.float32)
    cond_t = torch.from_numpy(condition)

    def torch_eps(x, t):
        return net.generator(cond_t, x, t)

    b = bundle
    names = (b.condition_input, b.noise_input, b.timestep_input, b.epsilon_output)
    return torch_eps, diffusion.session_denoiser(b.generator, condition, names), noise


def test_runtime_ddim_matches_the_torch_sampler(trained, bundle):
    torch_eps, onnx_eps, noise = _torch_and_runtime_denoisers(trained, bundle)
    expected = torch_samplers.ddim_sample(torch_eps, torch.from_numpy(noise)).numpy()
    got = diffusion.ddim_sample(onnx_eps, noise)
    assert np.abs(got - expected).max() < 1e-4
    assert np.abs(expected).max() > 0.05  # not a trivial agreement on zeros


def test_runtime_ddpm_matches_the_torch_sampler_for_the_same_step_noise(trained, bundle):
    torch_eps, onnx_eps, noise = _torch_and_runtime_denoisers(trained, bundle)
    expected = torch_samplers.ddpm_sample(
        torch_eps, torch.from_numpy(noise), generator=torch.Generator().manual_seed(9)
    ).numpy()
    gen = torch.Generator().manual_seed(9)  # the same draws, in the same order

    def draw(shape):
        return torch.randn(shape, generator=gen).numpy()

    got = diffusion.ddpm_sample(onnx_eps, noise, draw)
    assert np.abs(got - expected).max() < 1e-4


def test_policy_draws_all_its_noise_from_its_seed(bundle):
    """x_T, then every DDPM step's noise, come from the policy's generator in that order."""
    policy = OnnxPolicy(bundle, seed=11, diffusion_sampler='ddpm100')
    cond = policy.condition(*observation(bundle.spec))
    samples = policy.sample(cond, 3)
    rng = np.random.default_rng(11)
    shape = samples.shape
    b = bundle
    names = (b.condition_input, b.noise_input, b.timestep_input, b.epsilon_output)
    denoiser = diffusion.session_denoiser(b.generator, np.tile(cond, (3, 1)), names)
    x_t = rng.standard_normal(shape, dtype=np.float32)
    expected = diffusion.ddpm_sample(
        denoiser, x_t, lambda s: rng.standard_normal(s, dtype=np.float32)
    )
    np.testing.assert_array_equal(samples, expected)


def test_unknown_sampler_is_refused_clearly(trained, bundle, tmp_path):
    with pytest.raises(ValueError, match=r"unknown diffusion_sampler 'ddim50'.*ddim10, ddpm100"):
        OnnxPolicy(bundle, diffusion_sampler='ddim50')
    with pytest.raises(SettingError, match='ddim50'):
        ExportConfig(checkpoint='x.pt', output=str(tmp_path), diffusion_sampler='ddim50')
    with pytest.raises(ValueError, match='ddim50'):
        diffusion.run_sampler('ddim50', lambda x, t: x, np.zeros((1, 8, 2), np.float32), None)
    broken = tmp_path / 'broken'
    broken.mkdir()
    for f in trained['bundle'].iterdir():
        (broken / f.name).write_bytes(f.read_bytes())
    spec = json.loads((broken / 'policy.json').read_text())
    spec['sampling']['diffusion_sampler'] = 'ddim50'
    (broken / 'policy.json').write_text(json.dumps(spec))
    with pytest.raises(BundleError, match="diffusion_sampler 'ddim50' is not one of"):
        load_bundle(broken)


def test_export_records_the_chosen_default_sampler(trained, tmp_path):
    out, _ = export_bundle(trained['checkpoint'], tmp_path / 'b', diffusion_sampler='ddpm100')
    assert load_bundle(out).spec.diffusion_sampler == 'ddpm100'
    assert OnnxPolicy(load_bundle(out)).diffusion_sampler == 'ddpm100'


def test_diffusion_training_resumes_exactly(trained, tmp_path):
    data = trained['work'] / 'data'
    straight = train(tiny_config(data, tmp_path / 'straight', steps=6, checkpoint_every=3))
    halfway = tmp_path / 'straight' / 'checkpoints' / 'step_0000003.pt'
    resumed = train(tiny_config(data, tmp_path / 'resumed', steps=6), resume=str(halfway))
    a = torch.load(straight, weights_only=False)
    b = torch.load(resumed, weights_only=False)
    for key in ('model', 'ema'):
        assert all(torch.equal(a[key][k], b[key][k]) for k in a[key]), key


def test_other_bundles_ignore_the_sampler_setting(tmp_path):
    from bundle_factory import make_tiny_bundle

    bundle = load_bundle(make_tiny_bundle(tmp_path))
    policy = OnnxPolicy(bundle, seed=0, diffusion_sampler='ddpm100')
    assert policy.diffusion_sampler is None
    assert bundle.spec.to_dict()['sampling'] == {'diffusion_sampler': None}
    assert policy.act(*observation(bundle.spec), num_samples=3).samples_normalized.shape[0] == 3


@pytest.mark.slow
@pytest.mark.long
def test_a_short_diffusion_training_succeeds_closed_loop_in_the_sim(tmp_path, capsys):
    """sim-demos -> train --objective diffusion -> export (ddim10) -> eval, all via the CLI."""
    from imle_policy_ros.cli import main as cli

    demos = ['-n', '40', '--image-size', '32', '--seed', '0', '--no-progress']
    assert cli(['sim-demos', '-o', str(tmp_path / 'data'), *demos]) == 0
    network = ['--batch-size', '32', '--encoder-width', '4', '--down-dims', '16', '32', '64']
    schedule = ['--warmup-steps', '50', '--lr', '1e-3', '--ema-decay', '0.99']
    run = ['--threads', '1', '--no-progress', '--log-every', '100', '--checkpoint-every', '1500']
    train_args = ['--objective', 'diffusion', '--steps', '1500', *network, *schedule, *run]
    assert cli(['train', str(tmp_path / 'data'), '-o', str(tmp_path / 'run'), *train_args]) == 0
    checkpoint = tmp_path / 'run' / 'checkpoints' / 'latest.pt'
    assert cli(['export', str(checkpoint), '-o', str(tmp_path / 'bundle')]) == 0
    capsys.readouterr()
    evaluate = ['--episodes', '10', '--latency-ms', '20', '--threads', '1', '--json']
    assert cli(['eval', '--model', str(tmp_path / 'bundle'), *evaluate]) == 0
    summary = json.loads(capsys.readouterr().out)
    # 1500 steps on 40 demos: 4 of 10 measured (untrained networks: <= 2; rs_imle gets >= 7
    # in 400 steps, test_bags_to_policy); Diffusion Policy needs longer to converge.
    assert summary['success_rate'] >= 0.3, summary


def test_quantize_refuses_a_diffusion_bundle_with_the_reason(trained, tmp_path, capsys):
    from imle_policy_ros.cli import main as cli

    out = tmp_path / 'int8'
    assert cli(['quantize', str(trained['bundle']), '-o', str(out)]) == 1
    assert 'diffusion bundle' in capsys.readouterr().err
    assert not out.exists()


def test_eval_and_the_node_choose_the_sampler_through_the_controller_config(bundle):
    from imle_policy_ros.control.chunk_executor import JointLimits
    from imle_policy_ros.control.clock import SimulatedClock
    from imle_policy_ros.control.controller_types import ControllerConfig
    from imle_policy_ros.evaluation.simulated_controller import (
        simulated_controller,
        SimulatedRunConfig,
    )

    limits = JointLimits.create(bundle.spec.action_dim)
    for choice, expected in (('bundle', 'ddim10'), ('ddpm100', 'ddpm100'), ('ddim10', 'ddim10')):
        run = SimulatedRunConfig(controller=ControllerConfig(diffusion_sampler=choice))
        controller = simulated_controller(bundle, limits, SimulatedClock(0.0), run, seed=0)
        assert controller.policy.diffusion_sampler == expected
    with pytest.raises(SettingError, match='diffusion_sampler'):
        ControllerConfig(diffusion_sampler='ddim50')
