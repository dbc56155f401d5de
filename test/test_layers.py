# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The house plan: every import points down the layers the package docstring lists.

The map below is that list; an import outside it, a cycle between packages, a node that
imports the test harness, or a module over ~400 lines fails here with the place named.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / 'imle_policy_ros'
LEAVES = {'settings', 'cli_settings', 'errors', 'resources', 'simulators'}
BELOW = {
    'errors': set(),
    'settings': {'errors'},
    'cli_settings': {'settings', 'errors'},
    'resources': set(),
    'simulators': {'settings', 'errors'},
    'runtime': LEAVES,
    'cameras': LEAVES,
    'data': LEAVES | {'cameras', 'runtime'},
    'control': LEAVES | {'runtime'},
    'sim': LEAVES | {'data', 'cameras', 'runtime'},
    'learning': LEAVES | {'data', 'runtime'},
    'evaluation': LEAVES | {'control', 'sim', 'data', 'cameras', 'runtime'},
    'studies': LEAVES | {'evaluation', 'learning', 'control', 'sim', 'data', 'cameras', 'runtime'},
    'ros': LEAVES | {'control', 'sim', 'data', 'cameras', 'runtime'},
    'quantization': LEAVES
    | {'evaluation', 'learning', 'control', 'sim', 'data', 'cameras', 'runtime'},
    'benchmarks': LEAVES
    | {
        'quantization',
        'ros',
        'evaluation',
        'learning',
        'control',
        'sim',
        'data',
        'cameras',
        'runtime',
    },
}
BELOW['cli_pusht'] = LEAVES | set(BELOW) - {'cli_pusht'}
BELOW['cli_metaworld'] = LEAVES | set(BELOW) - {'cli_metaworld'}
BELOW['cli_evaluation'] = LEAVES | set(BELOW) - {'cli_evaluation'}
BELOW['cli'] = LEAVES | set(BELOW) - {'cli'}
MAX_LINES = 420  # "files under ~400 lines": a little over is fine, a second idea is not


def _modules():
    for path in sorted(PACKAGE.rglob('*.py')):
        parts = path.relative_to(PACKAGE.parent).with_suffix('').parts
        if parts[-1] == '__init__':
            yield path, parts[:-1], True
        else:
            yield path, parts, False


def _imports(path: Path, module: tuple[str, ...], is_package: bool):
    """(line, imported module as a tuple of names) for every import of this package."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = module if is_package else module[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = base + (tuple(node.module.split('.')) if node.module else ())
            names = [target + (alias.name,) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [tuple((node.module or '').split('.'))]
        elif isinstance(node, ast.Import):
            names = [tuple(alias.name.split('.')) for alias in node.names]
        else:
            continue
        for name in names:
            if name[0] == 'imle_policy_ros' and len(name) > 1:
                yield node.lineno, name


def _layer(name: tuple[str, ...]) -> str:
    return name[1] if len(name) > 1 else ''


def test_every_import_points_down():
    wrong = []
    for path, module, is_package in _modules():
        layer = _layer(module)
        if not layer:
            continue  # the package's own __init__
        assert layer in BELOW, f'{layer}: a new layer; add it to the map and the docstring'
        for line, target in _imports(path, module, is_package):
            to = _layer(target)
            if to != layer and to not in BELOW[layer]:
                wrong.append(f'{path.relative_to(PACKAGE.parent)}:{line}: {layer} -> {to}')
    assert not wrong, 'imports up the layers:\n' + '\n'.join(wrong)


def test_no_node_imports_the_harness():
    wrong = []
    for path, module, is_package in _modules():
        if module[:2] != ('imle_policy_ros', 'ros') or module[2:3] == ('harness',):
            continue
        for line, target in _imports(path, module, is_package):
            if target[:3] == ('imle_policy_ros', 'ros', 'harness'):
                wrong.append(f'{path.relative_to(PACKAGE.parent)}:{line}')
    assert not wrong, 'the nodes must not depend on the test harness:\n' + '\n'.join(wrong)


def test_the_map_has_no_cycle():
    seen, done = set(), set()

    def visit(layer, trail):
        if layer in done:
            return
        assert layer not in seen, f'cycle: {" -> ".join(trail + [layer])}'
        seen.add(layer)
        for lower in BELOW[layer]:
            visit(lower, trail + [layer])
        done.add(layer)

    for layer in BELOW:
        visit(layer, [])


@pytest.mark.parametrize('path', [p for p, _, _ in _modules()], ids=lambda p: p.name)
def test_modules_stay_short(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f'{path.name}: {lines} lines; split it by idea (house rule)'
