# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros benchmark pusht`: demos -> train -> export -> eval rows, resumable.

The fast tests check the settings (budgets, the stored configuration and its refusals)
and the table from hand-made rows; the slow one runs the whole benchmark on the state
variant with a tiny budget (what is checked is the plumbing, not a success rate).
"""

import json
import subprocess
import sys

from imle_policy_ros.cli import main as cli
from imle_policy_ros.runtime.policy_spec import OBJECTIVES
from imle_policy_ros.settings import SettingError
from imle_policy_ros.studies import benchmark as pusht_benchmark
from imle_policy_ros.studies.benchmark_config import (
    BenchmarkCommand,
    BenchmarkRefusal,
    BUDGETS,
    config_mismatch,
)
from imle_policy_ros.studies.benchmark_table import markdown_table, PUSHT_COLUMNS
import pytest

TINY = ['--budget', 'quick', '--demos', '2', '--objectives', 'rs_imle', 'diffusion']
TINY += ['--steps', '30', '--episodes', '1', '--threads', '1', '--batch-size', '8', '-m', '4']
# demo seed 1: its first two scenes take the expert 222 steps (seed 0: 354), and the demos
# are most of this run's time
TINY += ['--down-dims', '8', '16', '--warmup-steps', '5', '--seed', '1']


def _table_rows(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if line.startswith('| ')]
    return lines[2:]  # the header and the alignment line


def test_the_budget_fills_what_is_not_given_and_an_option_overrides_it():
    command = BenchmarkCommand('pusht', 'out', budget='quick', steps=77)
    shared = command.shared_settings()
    quick = BUDGETS['quick']
    assert shared['steps'] == 77 and shared['batch_size'] == quick.batch_size
    assert shared['down_dims'] == list(quick.down_dims) and shared['episodes'] == 10
    assert shared['train_seed'] == command.seed and shared['encoder_width'] is None
    image = BenchmarkCommand('pusht', 'out', variant='image', budget='paper').shared_settings()
    assert image['encoder_width'] == 64 and image['lr'] == 1e-4 and image['steps'] == 50_000
    # the options' own objectives are the runtime's (declared apart to stay free of numpy)
    assert BenchmarkCommand('pusht', 'out').objectives == OBJECTIVES


@pytest.mark.parametrize(
    'changes, named',
    [({'suite': 'gym'}, 'suite'), ({'seed': 10}, 'seed'), ({'demos': (0,)}, 'demos')],
)
def test_settings_out_of_range_are_refused(changes, named):
    with pytest.raises(SettingError, match=named):
        BenchmarkCommand(**{'suite': 'pusht', 'output': 'out', **changes})


def test_a_different_configuration_is_named_field_by_field():
    stored = BenchmarkCommand('pusht', 'out', budget='quick').shared_settings()
    same = BenchmarkCommand('pusht', 'out', budget='quick', steps=300, demos=(5, 10))
    assert config_mismatch(stored, same.shared_settings()) == []  # the grid may grow
    other = BenchmarkCommand('pusht', 'out', budget='quick', steps=301, epsilon=0.1)
    assert config_mismatch(stored, other.shared_settings()) == [
        'epsilon 0.03 there, 0.1 here',
        'steps 300 there, 301 here',
    ]


def test_an_output_dir_of_something_else_is_refused(tmp_path):
    settings = BenchmarkCommand('pusht', str(tmp_path)).shared_settings()
    (tmp_path / 'notes.txt').write_text('mine\n')
    with pytest.raises(BenchmarkRefusal, match='holds no benchmark'):
        pusht_benchmark.claim_output(tmp_path, settings)
    fresh = tmp_path / 'new'
    pusht_benchmark.claim_output(fresh, settings)
    pusht_benchmark.claim_output(fresh, settings)  # the same configuration: accepted
    changed = BenchmarkCommand('pusht', str(fresh), variant='image').shared_settings()
    with pytest.raises(BenchmarkRefusal, match="variant 'state' there, 'image' here"):
        pusht_benchmark.claim_output(fresh, changed)


def test_without_gym_pusht_the_command_refuses_and_writes_nothing(tmp_path, monkeypatch, capsys):
    for name in ('gym_pusht', 'gym_pusht.envs', 'gym_pusht.envs.pusht'):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    out = tmp_path / 'bench'
    assert cli(['benchmark', 'pusht', '-o', str(out)]) == 1
    assert 'install_pusht.sh' in capsys.readouterr().err
    assert not out.exists()


def _row(demos, objective, setting, calls, success=0.5):
    return {
        'demos': demos,
        'objective': objective,
        'setting': setting,
        'calls_per_chunk': calls,
        'success_rate': success,
        'paper_success_rate': success,
        'mean_max_coverage': 0.8125,
        'switches_per_episode': 2.25,
        'inference_ms_p50': 1.5,
        'train_wall_s': 90.0,
    }


def test_the_table_has_a_sorted_line_per_row():
    rows = [
        _row(100, 'rs_imle', 'consistency on', 1, 0.72),
        _row(10, 'diffusion', 'ddpm100', 100),
        _row(10, 'rs_imle', 'consistency off', 1),
        _row(10, 'diffusion', 'ddim10', 10),
    ]
    lines = _table_rows(markdown_table(rows, PUSHT_COLUMNS))
    assert [line.split(' | ')[:3] for line in lines] == [
        ['| 10', 'diffusion', 'ddim10'],
        ['| 10', 'diffusion', 'ddpm100'],
        ['| 10', 'rs_imle', 'consistency off'],
        ['| 100', 'rs_imle', 'consistency on'],
    ]
    last = '| 100 | rs_imle | consistency on | 72% | 72% | 0.812 | 2.2 | 1.50 | 1 | 1.5 |'
    assert lines[-1] == last


def test_benchmark_help_imports_nothing_heavy():
    code = (
        'import sys\n'
        'from imle_policy_ros.cli import main\n'
        'try:\n'
        "    main(['benchmark', '--help'])\n"
        'except SystemExit:\n'
        '    pass\n'
        "print('imported:', *(m for m in ('torch', 'onnxruntime', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == 'imported:'


@pytest.fixture(scope='module')
def benchmark_run(tmp_path_factory, pusht_demos):
    out = tmp_path_factory.mktemp('pusht_benchmark') / 'run'
    # the session's expert demos (seed 1, as TINY says), not simulated again
    assert (
        cli(['benchmark', 'pusht', '-o', str(out), *TINY, '--demos-from', str(pusht_demos)]) == 0
    )
    return out


@pytest.mark.slow
def test_a_tiny_benchmark_writes_a_row_per_bundle_and_setting(benchmark_run):
    results = json.loads((benchmark_run / 'results.json').read_text())
    assert results['machine']['cores'] >= 1 and results['settings']['steps'] == 30
    rows = results['rows']
    assert [(r['objective'], r['setting'], r['calls_per_chunk']) for r in rows] == [
        ('diffusion', 'ddim10', 10),
        ('diffusion', 'ddpm100', 100),
        ('rs_imle', 'consistency off', 1),
        ('rs_imle', 'consistency on', 1),
    ]
    for r in rows:
        assert r['suite'] == 'pusht' and r['variant'] == 'state' and r['demos'] == 2
        assert 0.0 <= r['success_rate'] <= r['paper_success_rate'] <= 1.0
        assert 0.0 <= r['mean_max_coverage'] <= 1.0
        assert r['train_wall_s'] > 0 and r['eval_wall_s'] > 0 and r['export_wall_s'] > 0
        assert r['inference_ms_p99'] >= r['inference_ms_p50'] > 0
        # every row on the same scenes: the paper's first seed, the same episodes
        assert (r['eval_first_seed'], r['eval_episodes'], r['episodes']) == (100_000, 1, 1)
        assert (r['train_steps'], r['demo_seed'], r['train_seed']) == (30, 1, 1)
    on, off = rows[3], rows[2]
    assert on['temporal_consistency'] and not off['temporal_consistency']
    assert on['num_samples'] == 32 and off['num_samples'] == rows[0]['num_samples'] == 1
    assert on['train_wall_s'] == off['train_wall_s']  # one bundle, two rows
    # DDPM-100 runs ten times the UNet calls of DDIM-10 per chunk
    assert rows[1]['inference_ms_p50'] > rows[0]['inference_ms_p50']
    table = (benchmark_run / 'table.md').read_text()
    assert len(_table_rows(table)) == len(rows)


@pytest.mark.slow
def test_a_second_run_reuses_the_cells_and_retrains_an_unfinished_one(
    benchmark_run, monkeypatch, capsys
):
    def no_training(*args, **kwargs):
        raise AssertionError('a finished cell was trained again')

    monkeypatch.setattr(pusht_benchmark, 'train', no_training)
    monkeypatch.setattr(pusht_benchmark, 'export_bundle', no_training)
    before = json.loads((benchmark_run / 'results.json').read_text())['rows']
    assert (
        cli(['benchmark', 'pusht', '-o', str(benchmark_run), *TINY, *_source(benchmark_run)]) == 0
    )
    assert json.loads((benchmark_run / 'results.json').read_text())['rows'] == before
    assert '| 2 | rs_imle | consistency on |' in capsys.readouterr().out

    # An interrupted cell (no rows.json) is trained again from an empty directory.
    class Retrained(Exception):
        pass

    cell = benchmark_run / 'cells' / 'diffusion_2'
    (cell / 'rows.json').rename(benchmark_run / 'diffusion_rows.json')

    def retrain(cfg):
        assert not cell.exists() and cfg.objective == 'diffusion' and cfg.state_only
        assert cfg.state_extras == ('block_keypoints',) and cfg.steps == 30
        raise Retrained

    monkeypatch.setattr(pusht_benchmark, 'train', retrain)
    with pytest.raises(Retrained):
        pusht_benchmark.run_benchmark(
            BenchmarkCommand(
                'pusht', str(benchmark_run), **_tiny_values(), demos_from=_source(benchmark_run)[1]
            ),
            {},
        )


def _source(run) -> list[str]:
    """Return the --demos-from option the run was made with (its config must match)."""
    return ['--demos-from', json.loads((run / 'config.json').read_text())['demos_from']]


def _tiny_values() -> dict:
    return {
        'budget': 'quick',
        'demos': (2,),
        'objectives': ('rs_imle', 'diffusion'),
        'steps': 30,
        'episodes': 1,
        'threads': 1,
        'batch_size': 8,
        'samples_per_example': 4,
        'down_dims': (8, 16),
        'warmup_steps': 5,
        'seed': 1,
    }


@pytest.mark.slow
def test_a_changed_configuration_in_the_same_dir_is_refused(benchmark_run, capsys):
    argv = ['benchmark', 'pusht', '-o', str(benchmark_run), *TINY, *_source(benchmark_run)]
    argv += ['--steps', '31']
    assert cli(argv) == 1
    err = capsys.readouterr().err
    assert 'steps 30 there, 31 here' in err and 'use another -o' in err


@pytest.mark.slow
def test_a_smaller_demo_count_is_the_first_demos_of_a_larger_one(benchmark_run, tmp_path):
    from imle_policy_ros.data.episode_store import EpisodeStore
    import numpy as np

    source = EpisodeStore.open(benchmark_run / 'demos' / 'n2')
    first = pusht_benchmark.write_first_demos(
        source.root,
        1,
        tmp_path / 'n1',
        pusht_benchmark.suite_for({'suite': 'pusht'}).cut_provenance,
    )
    assert len(first) == 1
    a, b = first.episode(0), source.episode(0)
    assert np.array_equal(a.actions, b.actions) and np.array_equal(
        a.images['top'], b.images['top']
    )
    assert np.array_equal(a.extras['block_keypoints'], b.extras['block_keypoints'])
    attempts = first.meta.source['attempts']
    assert attempts[-1]['kept'] and sum(t['kept'] for t in attempts) == 1
    assert attempts == source.meta.source['attempts'][: len(attempts)]
