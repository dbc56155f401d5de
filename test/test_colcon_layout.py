# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`colcon build` of this ament_python package installs the layout ROS 2 tools expect.

What it proves, on a copy of the package built in a temporary folder (nothing lands in the
repository: no build/, install/ or log/):
  * colcon sees the package as `(ros.ament_python)`, i.e. package.xml parses (with an
    invalid maintainer e-mail, catkin_pkg fails and colcon silently builds a plain Python
    package with no ament index entry);
  * the ament index marker and share/imle_policy_ros/package.xml are installed;
  * every file of launch/, config/ and models/ is installed at the same relative path under
    share/imle_policy_ros/ (set comparison: a new file setup.py does not install fails);
  * the executables are in lib/imle_policy_ros/ (where `ros2 run` and launch_ros look),
    as executable files;
  * the Python package is installed in the install's site-packages and imports from there.

colcon is not a project dependency (it pins setuptools<80): it lives in its own venv.
Found, in order: $IMLE_COLCON (path to the colcon executable), .colcon-venv/bin/colcon at
the repository root, `colcon` on PATH. Without one the test is skipped; get it with
`bash scripts/colcon_venv.sh`. No ROS install is needed. Takes a few seconds.
"""

import os
from pathlib import Path
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
PACKAGE = 'imle_policy_ros'
EXECUTABLES = (
    'camera_node',
    'metaworld_robot_node',
    'metaworld_teleop_node',
    'policy_node',
    'realsense_node',
    'sim_robot_node',
    'sim_teleop_node',
    'imle-policy-ros',
)
SHARE_TREES = ('launch', 'config', 'models')
# What the package needs when git cannot list the files (not a checkout).
PACKAGE_ENTRIES = ('package.xml', 'setup.py', 'setup.cfg', 'resource', PACKAGE, *SHARE_TREES)
# Never copied: environments, colcon/pip outputs, run outputs.
SKIP_TOP = {'.git', '.venv', '.colcon-venv', 'build', 'install', 'log', 'runs', 'outputs'}
# Placeholder files that keep an empty folder in git; setup.py does not install them.
PLACEHOLDERS = {'.gitkeep'}
TIMEOUT_S = 300


def _find_colcon():
    env = os.environ.get('IMLE_COLCON')
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            pytest.fail(f'IMLE_COLCON={env!r} is not an executable file')
        return env
    local = REPO / '.colcon-venv' / 'bin' / 'colcon'
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    return shutil.which('colcon')


def _source_files():
    """Relative paths of the package's files: tracked + untracked-not-ignored, per git."""
    try:
        out = subprocess.run(
            ['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        out = None
    if out is not None:
        names = sorted({n for n in out.decode().split('\0') if n})
    else:  # not a git checkout: the entries the package is made of
        names = []
        for entry in PACKAGE_ENTRIES:
            path = REPO / entry
            if path.is_file():
                names.append(entry)
            elif path.is_dir():
                names += [
                    p.relative_to(REPO).as_posix()
                    for p in sorted(path.rglob('*'))
                    if p.is_file() and '__pycache__' not in p.parts
                ]
    return [
        n for n in names if n.split('/', 1)[0] not in SKIP_TOP and (REPO / n).is_file()
    ]  # deleted: skip


def _copy_sources(dest: Path):
    files = _source_files()
    for name in files:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    return files


def _run(cmd, cwd, env=None, timeout=TIMEOUT_S):
    try:
        return subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        out = (exc.stdout or b'') + (exc.stderr or b'')
        if isinstance(out, bytes):
            out = out.decode(errors='replace')
        pytest.fail(f'{" ".join(map(str, cmd))} ran past {timeout} s:\n{out[-4000:]}')


def _tail(result, log_dir: Path = None, chars=6000):
    text = (
        f'exit {result.returncode}\n--- stdout ---\n{result.stdout}\n'
        f'--- stderr ---\n{result.stderr}'
    )
    if log_dir is not None:  # colcon keeps the build's own output in the log folder
        for log in sorted(log_dir.glob(f'latest_build/{PACKAGE}/stdout_stderr.log')):
            text += f'\n--- {log} ---\n{log.read_text(errors="replace")}'
    return text[-chars:]


@pytest.fixture(scope='module')
def colcon_install(tmp_path_factory):
    colcon = _find_colcon()
    if colcon is None:
        pytest.skip(
            'colcon not found: run `bash scripts/colcon_venv.sh` (makes '
            '.colcon-venv/), or set IMLE_COLCON to a colcon executable'
        )
    tmp = tmp_path_factory.mktemp('colcon')
    src = tmp / 'src' / PACKAGE
    files = _copy_sources(src)
    env = dict(os.environ)
    # A clean, non-interactive environment: no sourced workspace or colcon defaults leak in.
    for var in (
        'COLCON_DEFAULTS_FILE',
        'COLCON_HOME',
        'PYTHONPATH',
        'AMENT_PREFIX_PATH',
        'COLCON_PREFIX_PATH',
        'VIRTUAL_ENV',
    ):
        env.pop(var, None)
    env['COLCON_HOME'] = str(tmp / 'colcon_home')
    env['COLCON_LOG_PATH'] = str(tmp / 'log')

    listed = _run([colcon, 'list', '--base-paths', str(src)], cwd=tmp, env=env)
    build = _run(
        [
            colcon,
            'build',
            '--base-paths',
            str(src),
            '--build-base',
            str(tmp / 'build'),
            '--install-base',
            str(tmp / 'install'),
            '--event-handlers',
            'console_direct+',
        ],
        cwd=tmp,
        env=env,
    )
    return {
        'src': src,
        'files': files,
        'listed': listed,
        'build': build,
        'install': tmp / 'install' / PACKAGE,
        'log': tmp / 'log',
        'tmp': tmp,
    }


def _built(ci):
    build = ci['build']
    assert build.returncode == 0, 'colcon build failed:\n' + _tail(build, ci['log'])
    return ci['install']


def test_colcon_lists_package_as_ament_python(colcon_install):
    listed = colcon_install['listed']
    assert listed.returncode == 0, 'colcon list failed:\n' + _tail(listed)
    lines = [line.split() for line in listed.stdout.splitlines() if line.strip()]
    assert lines and lines[0][0] == PACKAGE, 'colcon list:\n' + _tail(listed)
    kinds = {line[0]: line[-1] for line in lines}
    assert kinds.get(PACKAGE) == '(ros.ament_python)', (
        'colcon does not see an ament_python package (package.xml did not parse? a '
        'maintainer e-mail catkin_pkg rejects does this):\n' + _tail(listed)
    )


def test_ament_index_and_package_xml_installed(colcon_install):
    install = _built(colcon_install)
    marker = install / 'share' / 'ament_index' / 'resource_index' / 'packages' / PACKAGE
    assert marker.is_file(), f'no ament index entry {marker}'
    xml = install / 'share' / PACKAGE / 'package.xml'
    assert xml.is_file(), f'no {xml}'
    assert xml.read_bytes() == (colcon_install['src'] / 'package.xml').read_bytes()


@pytest.mark.parametrize('tree', SHARE_TREES)
def test_share_tree_installed(colcon_install, tree):
    install = _built(colcon_install)
    expected = {
        f
        for f in colcon_install['files']
        if f.startswith(tree + '/') and f.rsplit('/', 1)[-1] not in PLACEHOLDERS
    }
    share = install / 'share' / PACKAGE
    root = share / tree
    installed = (
        {p.relative_to(share).as_posix() for p in root.rglob('*') if p.is_file()}
        if root.is_dir()
        else set()
    )
    assert installed == expected, (
        f"share/{PACKAGE}/{tree} differs from the repo's {tree}/: "
        f'not installed {sorted(expected - installed)}, '
        f'unexpected {sorted(installed - expected)}'
    )
    for name in expected:  # same bytes, not only the same names
        assert (share / name).read_bytes() == (REPO / name).read_bytes(), name


@pytest.mark.parametrize('exe', EXECUTABLES)
def test_executable_in_lib_package(colcon_install, exe):
    install = _built(colcon_install)
    path = install / 'lib' / PACKAGE / exe
    present = (
        sorted(p.name for p in (install / 'lib' / PACKAGE).glob('*'))
        if (install / 'lib' / PACKAGE).is_dir()
        else []
    )
    assert path.is_file(), f'no {path}; lib/{PACKAGE}/ holds {present}'
    assert os.access(path, os.X_OK), f'{path} is not executable'
    assert path.read_text().startswith('#!'), f'{path} has no shebang'
    # ros2 run looks only in lib/<pkg>/: a copy in bin/ would mean setup.cfg was ignored.
    assert not (install / 'bin' / exe).exists(), f'{exe} also installed in bin/'


def test_python_package_importable_from_install(colcon_install):
    install = _built(colcon_install)
    inits = sorted(install.glob(f'lib/python3*/site-packages/{PACKAGE}/__init__.py'))
    assert len(inits) == 1, f'expected one installed {PACKAGE}/__init__.py, found {inits}'
    site = inits[0].parents[1]
    # Every module of the source package is installed (a subpackage find_packages misses,
    # e.g. one without __init__.py, would be absent at run time).
    expected = {
        f for f in colcon_install['files'] if f.startswith(PACKAGE + '/') and f.endswith('.py')
    }
    installed = {p.relative_to(site).as_posix() for p in (site / PACKAGE).rglob('*.py')}
    assert expected <= installed, f'not installed: {sorted(expected - installed)}'

    env = dict(os.environ, PYTHONPATH=str(site))
    code = f'import {PACKAGE}; print({PACKAGE}.__file__)'
    result = _run([sys.executable, '-c', code], cwd=colcon_install['tmp'], env=env, timeout=120)
    assert result.returncode == 0, 'import failed:\n' + _tail(result)
    imported = Path(result.stdout.strip().splitlines()[-1]).resolve()
    assert imported == inits[0].resolve(), (
        f'{PACKAGE} imported from {imported}, not from the install {inits[0]}'
    )


def test_installed_console_script_runs(colcon_install):
    """
    The installed `imle-policy-ros` script resolves its entry point from the install.

    Run with this interpreter, not the script's shebang: colcon writes the shebang of the
    Python that ran colcon (here .colcon-venv, which has none of the runtime dependencies;
    on a robot, the system python3 next to ROS).
    """
    install = _built(colcon_install)
    site = sorted(install.glob('lib/python3*/site-packages'))[0]
    script = install / 'lib' / PACKAGE / 'imle-policy-ros'
    env = dict(os.environ, PYTHONPATH=str(site))
    result = _run(
        [sys.executable, str(script), '--help'], cwd=colcon_install['tmp'], env=env, timeout=120
    )
    assert result.returncode == 0 and 'usage' in result.stdout, _tail(result)
