# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Define the options of `imle-policy-ros benchmark` and the budgets they start from.

Settings only, so `imle-policy-ros benchmark --help` needs neither numpy nor torch; the run
is studies.benchmark. A budget presets the training and evaluation size (quick: a CI
smoke run in minutes on a CPU; standard: a CPU evening; paper: the paper's networks and
schedule, a GPU job); an explicit --steps, --episodes, ... overrides its value.

The settings every cell depends on (`shared_settings`) are stored in the output dir's
config.json, and a run with other values there is refused. The grid (--objectives,
--demos) is not among them: a later run may add counts or objectives to the same
directory and reuse the cells it shares with the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..errors import Refusal
from ..settings import check_settings, setting

SUITES = ('pusht', 'metaworld')
VARIANTS = ('state', 'image')
# The same as runtime.policy_spec.OBJECTIVES (a test checks it); not imported from there,
# since that module brings numpy with it.
OBJECTIVES = ('rs_imle', 'mse', 'diffusion')
CONFIG_FILE = 'config.json'
# The same as sim.metaworld_experts.TWO_WAY_TASK (a test checks it), by both of its names.
TWO_WAY_TASKS = ('push-wall-v3', 'push-wall')


def full_task_name(task: str) -> str:
    """Return Meta-World's name of `task` (push -> push-v3): one cell directory per task."""
    return task if task.endswith('-v3') else f'{task}-v3'


@dataclass(frozen=True)
class Budget:
    steps: int
    batch_size: int
    down_dims: tuple[int, ...]
    encoder_width: int  # the image variant's ResNet-18 width (the state variant has none)
    episodes: int
    lr: float
    warmup_steps: int
    ema_decay: float


# quick and standard: the small-model schedule of the bundled models (lr 1e-3, short
# warm-up, faster EMA), which trains small nets in few steps; standard is what EVAL.md's
# Push-T table ran (an RS-IMLE cell: about 15 minutes on one core at m 16); paper: the
# paper's own.
BUDGETS = {
    'quick': Budget(300, 64, (32, 64, 128), 8, 10, 1e-3, 100, 0.995),
    'standard': Budget(2000, 32, (32, 64, 128), 16, 50, 1e-3, 200, 0.995),
    'paper': Budget(50_000, 256, (256, 512, 1024), 64, 50, 1e-4, 500, 0.999),
}
BUDGET_FIELDS = tuple(f.name for f in fields(Budget))


class BenchmarkRefusal(Refusal, ValueError):
    """The output directory cannot take this run; the message says why and what to do."""


def _from_budget(what: str) -> str:
    return f'{what} (default: from --budget)'


@dataclass(frozen=True)
class BenchmarkCommand:
    suite: str = setting(
        description='the benchmark suite (pusht: the IMLE Policy paper task, gym-pusht; '
        'metaworld: one Meta-World task, named by --task)',
        positional=True,
        choices=SUITES,
    )
    output: str = setting(
        description='directory for demos, runs, results.json and table.md (resumable)',
        short='-o',
    )
    task: str | None = setting(
        None, 'metaworld: the task, any of the 50 (push-v3, or push); pusht has one'
    )
    two_way: bool = setting(
        False, 'metaworld push-wall: demos of the expert that goes round either end of the wall'
    )
    variant: str = setting(
        'state',
        'state: no camera (pusht: the block keypoints and the pusher; metaworld: the hand, '
        'gripper, objects and goal); image: the 96x96 camera (metaworld: corner3) and the '
        'robot state',
        choices=VARIANTS,
    )
    objectives: tuple[str, ...] = setting(
        OBJECTIVES, 'objectives to train, on the same networks', choices=OBJECTIVES
    )
    demos: tuple[int, ...] = setting((100,), 'demo counts to train on', min=1, max=3000)
    budget: str = setting(
        'standard',
        'presets of steps, batch size, networks and episodes: quick (CI smoke, minutes), '
        'standard (CPU, hours), paper (the paper-sized run, GPU)',
        choices=tuple(BUDGETS),
    )
    steps: int | None = setting(None, _from_budget('training steps per cell'), min=1)
    batch_size: int | None = setting(None, _from_budget('examples per step'), min=1)
    down_dims: tuple[int, ...] | None = setting(
        None, _from_budget('UNet channels per level'), min=1
    )
    encoder_width: int | None = setting(
        None, _from_budget('image variant: ResNet-18 base width'), min=1
    )
    episodes: int | None = setting(
        None, _from_budget('evaluation episodes per row'), min=1, max=100_000
    )
    lr: float | None = setting(None, _from_budget('AdamW learning rate'), min=0.0)
    warmup_steps: int | None = setting(None, _from_budget('learning-rate warm-up steps'), min=0)
    ema_decay: float | None = setting(
        None, _from_budget('decay of the EMA weights'), min=0.0, max=1.0
    )
    samples_per_example: int = setting(16, 'RS-IMLE m', min=1, max=4096, short='-m')
    epsilon: float = setting(0.03, 'RS-IMLE rejection radius (normalized actions)', min=0.0)
    num_samples: int = setting(
        32,
        'rs_imle with temporal consistency: chunks drawn per inference (N); the other rows '
        'draw one, as Diffusion Policy does',
        min=1,
        max=1024,
    )
    demos_from: str | None = setting(
        None,
        "a dataset to take each count's demos from (its first N episodes: your own "
        "recordings, or an earlier sim-demos run) instead of running the suite's expert",
    )
    seed: int = setting(0, 'seed of the demos (scenes seed*10000 up)', min=0, max=9)
    train_seed: int | None = setting(None, 'seed of the training (default: --seed)', min=0)
    eval_seed: int = setting(
        0, "evaluation scenes start at env seed 100000 + this (the paper's: 0)", min=0
    )
    latency_ms: float | None = setting(
        None,
        'simulated inference latency in evaluation, ms (default: the time measured here)',
        min=0.0,
        max=10_000.0,
    )
    device: str = setting('auto', 'training device: auto, cpu, cuda or cuda:N')
    threads: int = setting(
        0, 'torch and ONNX Runtime threads (0: their defaults)', min=0, max=1024
    )

    def __post_init__(self) -> None:
        check_settings(self)
        if self.suite == 'metaworld' and not self.task:
            raise BenchmarkRefusal(
                'benchmark metaworld needs --task (a Meta-World task, e.g. --task push-v3)'
            )
        if self.suite != 'metaworld' and (self.task or self.two_way):
            raise BenchmarkRefusal(
                f'--task and --two-way are Meta-World settings; {self.suite} has one task'
            )
        if self.two_way and self.task not in TWO_WAY_TASKS:
            raise BenchmarkRefusal(
                f'--two-way has an expert for {" and ".join(TWO_WAY_TASKS)} only, not {self.task}'
            )

    def budget_value(self, name: str):
        """Return the setting `name`: the explicit option, else the budget's preset."""
        value = getattr(self, name)
        return getattr(BUDGETS[self.budget], name) if value is None else value

    def shared_settings(self) -> dict:
        """Every resolved setting a cell's rows depend on (config.json), the grid aside."""
        shared = {
            'suite': self.suite,
            'variant': self.variant,
            'budget': self.budget,
            **{name: self.budget_value(name) for name in BUDGET_FIELDS},
            'samples_per_example': self.samples_per_example,
            'epsilon': self.epsilon,
            'num_samples': self.num_samples,
            'seed': self.seed,
            'demos_from': self.demos_from,
            'train_seed': self.seed if self.train_seed is None else self.train_seed,
            'eval_seed': self.eval_seed,
            'latency_ms': self.latency_ms,
            'device': self.device,
            'threads': self.threads,
        }
        if self.suite == 'metaworld':  # absent for pusht: its earlier runs stay resumable
            shared['task'] = full_task_name(self.task)
            shared['two_way'] = self.two_way
        if self.variant == 'state':
            shared['encoder_width'] = None  # no camera, no encoder: its width means nothing
        # JSON's view (tuples as lists), so a value read back from config.json compares equal
        return {k: list(v) if isinstance(v, tuple) else v for k, v in shared.items()}


def config_mismatch(stored: dict, wanted: dict) -> list[str]:
    """Return 'name: stored -> wanted' for every setting that differs (none: empty)."""
    return [
        f'{name} {stored.get(name, "(unset)")!r} there, {wanted.get(name, "(unset)")!r} here'
        for name in sorted(set(stored) | set(wanted))
        if stored.get(name) != wanted.get(name) or (name in stored) != (name in wanted)
    ]


def refuse_other_config(output: str, stored: dict, wanted: dict) -> None:
    """Refuse to mix this run's cells with those of another configuration in `output`."""
    differences = config_mismatch(stored, wanted)
    if differences:
        raise BenchmarkRefusal(
            f'{output} holds benchmark results of another configuration ('
            + '; '.join(differences)
            + '): use another -o or delete that directory'
        )
