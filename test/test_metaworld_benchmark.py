# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros benchmark metaworld --task TASK`: the same pipeline as Push-T's, per task.

The settings tests need nothing installed; the run (marked slow) makes two state demos of
button-press-topdown and trains a tiny MSE policy: what is checked is that the rows, the
table and the refusals name the task, not a success rate.
"""

import importlib.util
import json

from imle_policy_ros.cli import main as cli
from imle_policy_ros.studies.benchmark_config import BenchmarkCommand, BenchmarkRefusal
import pytest

TASK = 'button-press-topdown'
TINY = ['--budget', 'quick', '--demos', '2', '--objectives', 'mse', '--steps', '20']
TINY += ['--episodes', '1', '--threads', '1', '--batch-size', '8', '--down-dims', '8', '16']
TINY += ['--warmup-steps', '5']
needs_metaworld = pytest.mark.skipif(
    importlib.util.find_spec('metaworld') is None,
    reason='metaworld not installed (bash scripts/install_metaworld.sh)',
)


def test_the_task_is_stored_by_its_full_name_and_pusht_has_none():
    short = BenchmarkCommand('metaworld', 'out', task='push').shared_settings()
    assert short['task'] == 'push-v3' and short['two_way'] is False
    assert BenchmarkCommand('metaworld', 'out', task='push-v3').shared_settings() == short
    assert 'task' not in BenchmarkCommand('pusht', 'out').shared_settings()


@pytest.mark.parametrize(
    'values, named',
    [
        ({'suite': 'metaworld'}, 'needs --task'),
        ({'suite': 'pusht', 'task': 'push'}, 'Meta-World settings'),
        ({'suite': 'metaworld', 'task': 'push', 'two_way': True}, 'push-wall-v3'),
    ],
)
def test_a_task_where_it_means_nothing_or_none_where_it_is_needed_is_refused(values, named):
    with pytest.raises(BenchmarkRefusal, match=named):
        BenchmarkCommand(output='out', **values)


def test_the_two_way_task_names_agree_with_the_experts():
    from imle_policy_ros.sim.metaworld_experts import TWO_WAY_TASK
    from imle_policy_ros.studies.benchmark_config import TWO_WAY_TASKS

    assert TWO_WAY_TASK in TWO_WAY_TASKS


@pytest.fixture(scope='module')
def metaworld_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('metaworld_benchmark') / 'run'
    assert cli(['benchmark', 'metaworld', '--task', TASK, '-o', str(out), *TINY]) == 0
    return out


@pytest.mark.slow
@needs_metaworld
def test_a_tiny_metaworld_benchmark_writes_its_task_into_rows_and_table(metaworld_run):
    results = json.loads((metaworld_run / 'results.json').read_text())
    assert results['settings']['task'] == f'{TASK}-v3'
    (row,) = results['rows']
    assert (row['suite'], row['task'], row['objective']) == ('metaworld', f'{TASK}-v3', 'mse')
    assert row['env'] == f'metaworld:{TASK}-v3' and 0.0 <= row['success_rate'] <= 1.0
    assert 0 < row['mean_steps'] <= 500 and row['eval_first_seed'] == 100_000
    demos = json.loads((metaworld_run / 'demos' / 'n2' / 'meta.json').read_text())
    assert demos['source']['task'] == f'metaworld:{TASK}-v3' and not demos['cameras']
    table = (metaworld_run / 'table.md').read_text()
    assert 'Meta-World button-press-topdown-v3' in table and 'image DP 98%' in table
    assert '| mean steps |' in table and '| 2 | mse | one chunk |' in table


@pytest.mark.slow
@needs_metaworld
def test_demos_of_another_task_are_refused_and_a_smaller_count_keeps_the_expert(
    metaworld_run, tmp_path, capsys
):
    from imle_policy_ros.data.episode_store import EpisodeStore
    from imle_policy_ros.studies import benchmark

    demos = metaworld_run / 'demos' / 'n2'
    argv = ['benchmark', 'metaworld', '--task', 'push', '-o', str(tmp_path / 'push'), *TINY]
    assert cli(argv + ['--demos-from', str(demos)]) == 1
    err = capsys.readouterr().err
    assert f'holds demos of metaworld:{TASK}-v3, not metaworld:push-v3' in err

    suite = benchmark.suite_for(json.loads((metaworld_run / 'config.json').read_text()))
    first = benchmark.write_first_demos(demos, 1, tmp_path / 'n1', suite.cut_provenance)
    source = EpisodeStore.open(demos).meta.source
    assert len(first) == 1 and first.meta.source['expert'] == source['expert']
    assert sum(a['kept'] for a in first.meta.source['attempts']) == 1
