# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros`: the offline work (demos, datasets, training, export, evaluation) as subcommands.

Every option comes from a config dataclass (settings.py): the ones the layers take (TrainConfig,
EvalConfig, ...) and, for what only the command line needs (where to write a picture, JSON
output), the small ones below. A subcommand builds its configs from the options and calls
its layer with them, as a script would. Each imports its layer only when it runs, so
`imle-policy-ros --help` works on a deploy host without torch, and a training host needs
no ROS. A refusal (errors.Refusal: a bad file, bag, bundle or setting) is printed as one
line and the command exits 1; a traceback means a bug.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TYPE_CHECKING

from .cli_settings import add_settings, Command, command_options, config_from_args
from .errors import Refusal
from .settings import setting
from .simulators import simulator_setting

if TYPE_CHECKING:
    from .data.conversion_settings import ConversionSettings
    from .learning.export_config import ExportConfig
    from .learning.train_config import TrainConfig
    from .quantization.config import QuantizeConfig
    from .sim.demo_config import DemoConfig
    from .studies.benchmark_config import BenchmarkCommand


# ---- sim-demos ------------------------------------------------------------------------
@command_options
class SimDemosCommand:
    episodes: int = setting(description='number of demonstrations', short='-n', min=1)
    output_dir: str = setting(
        description='dataset directory (or directory of bags) to create', short='-o'
    )
    seed: int = setting(0, 'episode i depends only on (seed, i)', min=0)
    output_format: str = setting(
        'store',
        'store: the dataset train reads; bag: rosbag2 bags + demos.json',
        choices=('store', 'bag'),
        flag='--format',
    )
    overwrite: bool = setting(False, 'replace an existing dataset (or earlier bag demos)')
    progress: bool = setting(True, 'show a progress bar')
    env: str = simulator_setting()
    cameras: tuple[str, ...] = setting(
        ('corner3',), 'metaworld: the cameras recorded, each --image-size square'
    )
    state_only: bool = setting(
        False,
        'metaworld: record no camera frames (for state policies; rendering is most of the cost)',
    )
    two_way: bool = setting(
        False, 'metaworld:push-wall-v3: the two-way expert (round either end of the wall)'
    )


def run_sim_demos(command: SimDemosCommand, demos: DemoConfig) -> int:
    from .sim.demo_summary import summarize_bags, summarize_store
    from .simulators import metaworld_task

    if command.env == 'pusht':
        from .cli_pusht import run_pusht_demos

        return run_pusht_demos(command, demos.image_size)
    if metaworld_task(command.env):
        from .cli_metaworld import run_metaworld_demos

        return run_metaworld_demos(command, metaworld_task(command.env), demos)
    if command.output_format == 'bag':
        from .sim.bag_demos import generate_bag_demos

        info = generate_bag_demos(
            command.episodes,
            command.output_dir,
            command.seed,
            demos,
            command.overwrite,
            command.progress,
        )
        summary = summarize_bags(info)
        where = f'bags ({demos.storage}, {demos.distro}): {command.output_dir}'
    else:
        from .sim.demos import generate_demos

        store = generate_demos(
            command.episodes,
            command.output_dir,
            command.seed,
            demos,
            command.overwrite,
            command.progress,
        )
        summary = summarize_store(store)
        where = f'dataset: {store.root}'
    print(f'{summary.line()} at {demos.rate_hz:g} Hz')
    print(where)
    return 0


# ---- dataset --------------------------------------------------------------------------
@command_options
class DatasetCommand:
    bags: tuple[str, ...] = setting(
        description='bag directory, .mcap/.db3 file, or a directory of bags (e.g. sim-demos '
        '--format bag)',
        positional=True,
        metavar='BAG',
    )
    output_dir: str = setting(description='dataset directory to create', short='-o')
    overwrite: bool = setting(False, 'replace an existing dataset')
    progress: bool = setting(True, 'show a progress bar')
    verbose: bool = setting(False, 'one report line per bag, not only the flagged ones')


def run_dataset(command: DatasetCommand, settings: ConversionSettings) -> int:
    from .data.bag_dataset import convert_bags
    from .data.bag_reader import BagRejected

    try:
        store, reports = convert_bags(
            command.bags,
            command.output_dir,
            settings,
            overwrite=command.overwrite,
            progress=command.progress,
        )
    except BagRejected as exc:
        raise Refusal(f'bag refused, no dataset written: {exc}') from None
    # Every bag's line when asked; otherwise only the bags that lost or shifted steps.
    for name, report in zip(store.episode_names, reports):
        if command.verbose or report.steps < report.grid_steps or report.misaligned:
            print(f'{name} <- {report.line()}')
    dropped = sum(r.grid_steps - r.steps for r in reports)
    misaligned = sum(r.misaligned for r in reports)
    print(
        f'steps dropped (stale input): {dropped}; misaligned (an input over half a step old): '
        f'{misaligned}' + ('' if command.verbose else '; --verbose lists every bag')
    )
    lengths = store.episode_lengths
    print(
        f'{len(store)} episodes, {sum(lengths)} steps at {settings.rate_hz:g} Hz (min '
        f'{min(lengths)}, max {max(lengths)}); cameras {", ".join(store.meta.camera_names)}; '
        f'{_state_kind(store.meta)} {", ".join(store.meta.state_names)}'
    )
    for note in store.meta.source.get('notes', []):
        print(f'note: {note}')
    print(f'dataset: {store.root}')
    return 0


def _state_kind(meta) -> str:
    return 'joints' if meta.ee_layout is None else 'end-effector state'


# ---- train, export --------------------------------------------------------------------
@command_options
class ResumeOption:
    resume: str | None = setting(
        None,
        'continue from a checkpoint file or a previous output dir',
        metavar='CKPT_OR_DIR',
    )


def run_train(resume: ResumeOption, cfg: TrainConfig) -> int:
    from .learning.train import train

    print(f'checkpoint: {train(cfg, resume=resume.resume)}')
    return 0


def run_export(cfg: ExportConfig) -> int:
    from .learning.export import export

    out, report = export(cfg)
    print(
        'parity (max abs diff, ONNX Runtime vs torch): encoder '
        f'{report.encoder_max_abs_diff:.2e}, generator {report.generator_max_abs_diff:.2e}'
    )
    print(f'bundle: {out}')
    return 0


def run_quantize(cfg: QuantizeConfig) -> int:
    from .quantization.quantize import describe_units, quantize

    report = quantize(cfg)
    error, loop = report.error, report.loop
    print(
        f'{report.precision} bundle: {report.output} (runs on {report.provider}; '
        f'{report.seconds:.0f} s)'
    )
    print(
        f'  calibration: {report.calibration["calibration_windows"]} windows of '
        f'{report.calibration["calibration_episodes"]} episodes of '
        f'{report.calibration["calibration_source"]}; sha256 '
        f'{report.calibration["calibration_sha256"][:16]}'
    )
    print(
        f'  action error against fp32 on {error.windows} held-out windows x {error.samples} '
        f'noise draws (action units): {describe_units(error)}'
    )
    print(
        f'  mean {error.mean_normalized:.4f} normalized = {error.ratio:.2f}x of the scale '
        f'{error.scale:.4f} ('
        + ('fp32 redrawn' if error.spread_normalized else '1% of range')
        + f'), bound {cfg.max_error_ratio}'
    )
    if loop is not None:
        print(
            f'  closed loop, {loop.episodes} episodes, same scenes: success fp32 '
            f'{loop.reference["success_rate"]:.0%}, {report.precision} '
            f'{loop.candidate["success_rate"]:.0%}; inference p50 '
            f'{loop.reference["inference_ms_p50"]:.1f} / '
            f'{loop.candidate["inference_ms_p50"]:.1f} ms'
        )
    return 0


# ---- run ------------------------------------------------------------------------------
@command_options
class RunCommand:
    config: str = setting(
        description="parameters file: a path, or a name in the package's config/"
    )
    model: str | None = setting(None, "override the policy's model_path")
    duration: float | None = setting(None, 'stop after this many seconds', min=0.0)


def _ros_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        'ros_args',
        nargs=argparse.REMAINDER,
        help='extra ROS arguments after --ros-args, e.g. --ros-args -p '
        'imle_policy:autostart:=false',
    )


def run_run(command: RunCommand, ros_args: list[str]) -> int:
    from .ros import require_rclpy

    require_rclpy()
    from .ros.run import run

    extra = list(ros_args)
    if extra and extra[0] == '--ros-args':
        extra = extra[1:]
    return run(command.config, model=command.model, duration=command.duration, ros_args=extra)


# ---- benchmark ------------------------------------------------------------------------
def run_benchmark(command: BenchmarkCommand) -> int:
    # The machine row is read here: studies sits below benchmarks and may not import it.
    from .benchmarks.machine import machine_info
    from .studies.benchmark import run_benchmark as run

    return run(command, machine_info())


def _commands() -> dict[str, Command]:
    return {
        'sim-demos': Command(
            'generate demonstrations in the built-in simulator',
            'Run the scripted expert (reach around an obstacle, left or right at random; with '
            '--task reach_and_grasp, then close the gripper on the target) and write the '
            'episodes as a dataset for train, or with --format bag as rosbag2 bags (one per '
            'episode, as a teleoperated recording of sim_robot_node would be) for `dataset` to '
            'convert. --action-space ee_pose drives the arm through a target pose and a gripper '
            'command, as a Cartesian teleoperation setup would.',
            ('cli:SimDemosCommand', 'sim.demo_config:DemoConfig'),
            'cli:run_sim_demos',
        ),
        'dataset': Command(
            'convert rosbag2 bags (one per episode) into a dataset for train',
            'Resample each bag to --rate by timestamp (header stamps; log time for header-less '
            'messages or zero stamps), pair the newest frame of each camera and joint state at '
            'or before every step with the commanded joint positions (or the next joint '
            'state), and write the dataset, all or nothing. With --ee-pose-topic (or '
            '--base-frame/--ee-frame from /tf) the state is the end-effector pose (+ gripper) '
            'and the action the commanded PoseStamped target (or the next pose). Depth images '
            '(16UC1 mm, 32FC1 m) become grey RGB: 0 m black, --depth-max white.',
            ('cli:DatasetCommand', 'data.conversion_settings:ConversionSettings'),
            'cli:run_dataset',
        ),
        'train': Command(
            'train an IMLE Policy (or the MSE baseline) on a dataset',
            'Train on an episode store written by sim-demos or dataset.',
            ('cli:ResumeOption', 'learning.train_config:TrainConfig'),
            'cli:run_train',
        ),
        'export': Command(
            'write a model bundle (ONNX + policy.json) from a checkpoint',
            'Export encoder.onnx, generator.onnx and policy.json, then check ONNX Runtime '
            'against torch (fails above --tolerance).',
            ('learning.export_config:ExportConfig',),
            'cli:run_export',
        ),
        'quantize': Command(
            'write an int8 (CPU) or fp16 (GPU) bundle from an fp32 one, behind a quality gate',
            'Quantize both networks (int8: ONNX Runtime static quantization calibrated on '
            'real observations; fp16: for GPU providers), then compare the new bundle with '
            'the fp32 one on held-out windows (action error in action units) and, for the '
            "built-in simulator's models, in closed loop on the same scenes. Nothing is "
            'written unless both pass.',
            ('quantization.config:QuantizeConfig',),
            'cli:run_quantize',
        ),
        'eval': Command(
            'closed-loop episodes of a bundle in the built-in simulator',
            'Runs the bundle through PolicyController in the simulator on simulated time; '
            'reports success, solution shares, switches, latency.',
            ('cli_evaluation:EvalCommand', 'evaluation.closed_loop:EvalConfig'),
            'cli_evaluation:run_eval',
        ),
        'replay': Command(
            'run a model offline over recorded demonstrations, as the node would',
            'Feeds a recorded bag (or a dataset episode) to the same controller the node runs, '
            'on simulated time with simulated inference latency, and compares each chunk the '
            "model chose with the demonstrator's commands: errors per joint and a picture. "
            'Check a model on held-out demos before it touches the arm.',
            ('cli_evaluation:ReplayCommand', 'evaluation.simulated_controller:SimulatedRunConfig'),
            'cli_evaluation:run_replay',
            skip=('control_rate_hz',),  # the deploy config's rate (--config)
        ),
        'run': Command(
            'start the ROS 2 nodes a config names, in this process (no ros2 launch needed)',
            'Start the nodes whose names are the top-level keys of a ROS parameters file '
            '(config/sim.yaml: the simulator and the policy), each with its parameters from '
            'that file, under one executor each. Needs rclpy: a sourced ROS 2, or pip install '
            "'imle_policy_ros[ros]'.",
            ('cli:RunCommand',),
            'cli:run_run',
            extra=_ros_arguments,
        ),
        'bench': Command(
            'benchmarks: IMLE vs DDPM/DDIM, ORT vs torch, encoder cache, training, memory, loop',
            "Times the paper's configuration (random weights; speed does not depend on them): "
            'IMLE through the exported bundle on ONNX Runtime against torch eager and against '
            "Diffusion Policy's 100-step DDPM and 10-step DDIM samplers on the same UNet, at N = "
            '1, 8, 32; encoder caching; RS-IMLE training steps/s; peak memory of a deploy '
            "process; the ROS 2 control loop; and each figure's distance to the machine's floor.",
            ('benchmarks.cli:BenchCommand',),
            'benchmarks.cli:run_bench',
        ),
        'benchmark': Command(
            'one command: demos -> train each objective -> export -> eval, as a table',
            "pusht: the IMLE Policy paper's task (gym-pusht); metaworld --task TASK: any "
            "Meta-World task, judged by Meta-World's success. Generate the expert's demos, "
            'then for each demo count train rs_imle, mse and diffusion on the same networks '
            '(--budget: quick, standard or paper sizes), export, and evaluate closed loop on '
            'the same scenes for every row: rs_imle with temporal consistency on and off, '
            'diffusion with DDIM-10 and DDPM-100. Writes results.json (the machine, the '
            'settings, a row per bundle and run-time setting with wall times and seeds) and '
            'table.md into -o. Resumable: a finished cell is not recomputed.',
            ('studies.benchmark_config:BenchmarkCommand',),
            'cli:run_benchmark',
        ),
        'soak': Command(
            'run the simulated loop through the ROS 2 nodes with random faults; report safety',
            'Start sim_robot_node and policy_node (config/sim.yaml) as separate processes, '
            'inject random faults (stopped or broken cameras and joint states, bad stamps, a '
            'robot restart, bad model switches) for the given time, and report safety '
            "violations, missed deadlines, tick jitter and the policy process's memory growth. "
            'Exits 1 on any safety violation.',
            ('ros.harness.soak_cli:SoakCommand',),
            'ros.harness.soak_cli:run_soak_command',
        ),
    }


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """
    Return the parser; with `chosen`, only that command's options are built.

    Building a command's options imports its configs; `main` builds only the chosen one's.
    """
    parser = argparse.ArgumentParser(
        prog='imle-policy-ros', description=__doc__.strip().splitlines()[0]
    )
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name, command in _commands().items():
        p = sub.add_parser(name, help=command.summary, description=command.description)
        if chosen not in (None, name):
            continue
        for config_type in command.config_types():
            add_settings(p, config_type, skip=command.skip)
        if command.extra:
            command.extra(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    commands = _commands()
    chosen = next((a for a in argv if not a.startswith('-')), None)
    if chosen not in commands:
        chosen = ''  # no command (or an unknown one): argparse says so, with the list
    args = build_parser(chosen).parse_args(argv)
    command = commands[args.command]
    try:
        configs: list[Any] = [config_from_args(c, args) for c in command.config_types()]
        if command.extra:
            configs += [args.ros_args]
        return command.runner()(*configs)
    except (Refusal, FileNotFoundError, FileExistsError, NotADirectoryError) as exc:
        print(f'imle-policy-ros {args.command}: {exc}', file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == '__main__':
    sys.exit(main())
