# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Finding the package's models/ and config/ from any working directory."""

from __future__ import annotations

from pathlib import Path

from imle_policy_ros.resources import resolve_config_path, resolve_model_path
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize('value', ['models/reach_default', 'reach_default'])
def test_bundled_model_found_from_another_directory(elsewhere, value):
    path = resolve_model_path(value)
    assert path.is_absolute()
    assert (path / 'policy.json').is_file()
    assert path.resolve() == (REPO / 'models' / 'reach_default').resolve()


def test_relative_path_in_the_working_directory_wins(elsewhere):
    (elsewhere / 'models' / 'reach_default').mkdir(parents=True)
    path = resolve_model_path('models/reach_default')
    assert path.resolve() == (elsewhere / 'models' / 'reach_default').resolve()


def test_absolute_path_returned_as_is(elsewhere):
    missing = elsewhere / 'nowhere' / 'model'
    assert resolve_model_path(missing) == missing
    assert resolve_model_path(str(missing)) == missing


def test_unknown_model_returned_unchanged(elsewhere):
    assert resolve_model_path('no_such_model_xyz') == Path('no_such_model_xyz')
    assert resolve_model_path('models/no_such_model_xyz') == Path('models/no_such_model_xyz')


@pytest.mark.parametrize('value', ['sim.yaml', 'config/sim.yaml'])
def test_bundled_config_found_from_another_directory(elsewhere, value):
    path = resolve_config_path(value)
    assert path.resolve() == (REPO / 'config' / 'sim.yaml').resolve()


def test_config_in_the_working_directory_wins(elsewhere):
    (elsewhere / 'sim.yaml').write_text('imle_policy: {}\n')
    assert resolve_config_path('sim.yaml').resolve() == (elsewhere / 'sim.yaml').resolve()


def test_missing_config_names_the_searched_places(elsewhere):
    with pytest.raises(FileNotFoundError) as info:
        resolve_config_path('no_such_config.yaml')
    message = str(info.value)
    assert 'no_such_config.yaml' in message
    assert 'working directory' in message
    assert str(REPO / 'config') in message
