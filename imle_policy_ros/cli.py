# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
`imle-policy-ros`: the offline work (train, export, ...) as subcommands.

Each subcommand imports its layer only when it runs, so `imle-policy-ros --help` works on a
deploy host without torch, and a training host needs no ROS.
"""

from __future__ import annotations

import argparse
import sys

from .benchmarks.cli import add_bench_parser
from .ros.soak_cli import add_soak_parser


def _add_train(sub) -> None:
    p = sub.add_parser(
        'train',
        help='train an IMLE Policy (or the MSE baseline) on a dataset',
        description='Train on an episode store written by sim-demos or dataset.',
    )
    p.add_argument('dataset', help='dataset directory (meta.json + episodes/)')
    p.add_argument('-o', '--output-dir', required=True, help='where checkpoints and logs go')
    p.add_argument(
        '--objective',
        choices=['rs_imle', 'mse'],
        default='rs_imle',
        help='rs_imle (the policy) or mse (same networks as a plain regressor, the baseline)',
    )
    p.add_argument('--steps', type=int, default=20000)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-4)
    p.add_argument('--weight-decay', type=float, default=1e-6)
    p.add_argument('--warmup-steps', type=int, default=500)
    p.add_argument('--ema-decay', type=float, default=0.999)
    p.add_argument('--grad-clip', type=float, default=1.0)
    p.add_argument('--epsilon', type=float, default=0.03, help='RS-IMLE rejection radius')
    p.add_argument('--samples-per-example', '-m', type=int, default=20, help='RS-IMLE m')
    p.add_argument('--obs-horizon', type=int, default=2)
    p.add_argument('--pred-horizon', type=int, default=16)
    p.add_argument('--action-horizon', type=int, default=8)
    p.add_argument(
        '--encoder-width', type=int, default=64, help='64 gives 512-d features (the paper)'
    )
    p.add_argument('--down-dims', type=int, nargs='+', default=[256, 512, 1024])
    p.add_argument(
        '--crop',
        type=int,
        nargs=2,
        metavar=('H', 'W'),
        default=None,
        help='random crop in training, center crop at run time',
    )
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or cuda:N')
    p.add_argument('--checkpoint-every', type=int, default=1000)
    p.add_argument('--log-every', type=int, default=50)
    p.add_argument('--threads', type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument(
        '--resume',
        default=None,
        metavar='CKPT_OR_DIR',
        help='continue from a checkpoint file or a previous output dir',
    )
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(run=_run_train)


def _run_train(args) -> int:
    from .learning.train import train, TrainConfig

    cfg = TrainConfig(
        dataset=args.dataset,
        output_dir=args.output_dir,
        objective=args.objective,
        steps=args.steps,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        warmup_steps=args.warmup_steps,
        ema_decay=args.ema_decay,
        grad_clip=args.grad_clip,
        epsilon=args.epsilon,
        samples_per_example=args.samples_per_example,
        obs_horizon=args.obs_horizon,
        pred_horizon=args.pred_horizon,
        action_horizon=args.action_horizon,
        encoder_width=args.encoder_width,
        down_dims=list(args.down_dims),
        crop=list(args.crop) if args.crop else None,
        seed=args.seed,
        device=args.device,
        checkpoint_every=args.checkpoint_every,
        log_every=args.log_every,
        threads=args.threads,
        progress=not args.no_progress,
    )
    last = train(cfg, resume=args.resume)
    print(f'checkpoint: {last}')
    return 0


def _add_export(sub) -> None:
    p = sub.add_parser(
        'export',
        help='write a model bundle (ONNX + policy.json) from a checkpoint',
        description='Export encoder.onnx, generator.onnx and policy.json, then check '
        'ONNX Runtime against torch (fails above --tolerance).',
    )
    p.add_argument('checkpoint', help='a .pt checkpoint from train')
    p.add_argument('-o', '--output', required=True, help='bundle directory, e.g. models/my_task')
    p.add_argument(
        '--raw-weights', action='store_true', help='export the raw weights, not the EMA'
    )
    p.add_argument('--tolerance', type=float, default=1e-4)
    p.add_argument('--overwrite', action='store_true')
    p.set_defaults(run=_run_export)


def _run_export(args) -> int:
    from .learning.export import export_bundle, ExportError

    try:
        out, report = export_bundle(
            args.checkpoint,
            args.output,
            use_ema=not args.raw_weights,
            tolerance=args.tolerance,
            overwrite=args.overwrite,
        )
    except ExportError as exc:
        print(f'export failed: {exc}', file=sys.stderr)
        return 1
    print(
        f'parity (max abs diff, ONNX Runtime vs torch): encoder {report.encoder_max_abs_diff:.2e}, '
        f'generator {report.generator_max_abs_diff:.2e}'
    )
    print(f'bundle: {out}')
    return 0


def _add_sim_demos(sub) -> None:
    p = sub.add_parser(
        'sim-demos',
        help='generate demonstrations in the built-in simulator',
        description='Run the scripted expert (reach around an obstacle, left or right at '
        'random) and write the episodes as a dataset for train, or with --format bag '
        'as rosbag2 bags (one per episode, as a teleoperated recording of '
        'sim_robot_node would be) for `dataset` to convert.',
    )
    p.add_argument('-n', '--episodes', type=int, required=True, help='number of demonstrations')
    p.add_argument(
        '-o',
        '--output-dir',
        required=True,
        help='dataset directory (or directory of bags) to create',
    )
    p.add_argument('--seed', type=int, default=0, help='episode i depends only on (seed, i)')
    p.add_argument(
        '--rate', type=float, default=10.0, metavar='HZ', help='dataset rate (bags: command rate)'
    )
    p.add_argument(
        '--image-size', type=int, default=96, metavar='PX', help='square camera image size'
    )
    p.add_argument(
        '--format',
        choices=['store', 'bag'],
        default='store',
        help='store: the dataset train reads (default); bag: rosbag2 bags + demos.json',
    )
    p.add_argument(
        '--storage', choices=['mcap', 'sqlite3'], default='mcap', help='bag storage (--format bag)'
    )
    p.add_argument(
        '--distro',
        choices=['jazzy', 'humble'],
        default='jazzy',
        help='bag layout and message definitions (--format bag): jazzy = metadata v9, '
        'humble = metadata v8 that Humble reads',
    )
    p.add_argument(
        '--camera-rate',
        type=float,
        default=30.0,
        metavar='HZ',
        help='camera frame rate (--format bag)',
    )
    p.add_argument(
        '--joint-state-rate',
        type=float,
        default=100.0,
        metavar='HZ',
        help='joint_states rate (--format bag)',
    )
    p.add_argument(
        '--overwrite',
        action='store_true',
        help='replace an existing dataset (or earlier bag demos)',
    )
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(run=_run_sim_demos)


def _run_sim_demos(args) -> int:
    if args.format == 'bag':
        from .sim.bag_demos import bag_demo_summary, BagDemoSettings, generate_bag_demos

        settings = BagDemoSettings(
            rate_hz=args.rate,
            camera_rate_hz=args.camera_rate,
            joint_state_rate_hz=args.joint_state_rate,
            image_size=args.image_size,
            storage=args.storage,
            distro=args.distro,
        )
        s = bag_demo_summary(
            generate_bag_demos(
                args.episodes,
                args.output_dir,
                seed=args.seed,
                settings=settings,
                overwrite=args.overwrite,
                progress=not args.no_progress,
            )
        )
        where = f'bags ({args.storage}, {args.distro}): {args.output_dir}'
    else:
        from .sim.demos import demo_summary, generate_demos

        store = generate_demos(
            args.episodes,
            args.output_dir,
            seed=args.seed,
            rate_hz=args.rate,
            image_size=args.image_size,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
        s = demo_summary(store)
        where = f'dataset: {store.root}'
    shares = ', '.join(f'{side} {share:.0%}' for side, share in s['side_shares'].items())
    print(
        f'{s["episodes"]} demos ({shares}); steps per episode min {s["steps_min"]}, '
        f'mean {s["steps_mean"]:.1f}, max {s["steps_max"]} at {args.rate:g} Hz'
    )
    print(where)
    return 0


def _add_dataset(sub) -> None:
    p = sub.add_parser(
        'dataset',
        help='convert rosbag2 bags (one per episode) into a dataset for train',
        description='Resample each bag to --rate by timestamp (header stamps; log time for '
        'header-less messages or zero stamps), pair the newest frame of each camera '
        'and joint state at or before every step with the commanded joint positions '
        '(or the next joint state), and write the dataset, all or nothing. Depth '
        'images (16UC1 mm, 32FC1 m) become grey RGB: 0 m black, --depth-max white.',
    )
    p.add_argument(
        'bags',
        nargs='+',
        metavar='BAG',
        help='bag directory, .mcap/.db3 file, or a directory of bags (e.g. sim-demos --format bag)',
    )
    p.add_argument('-o', '--output-dir', required=True, help='dataset directory to create')
    p.add_argument(
        '--image-topic',
        action='append',
        required=True,
        metavar='TOPIC',
        dest='image_topics',
        help='camera topic (Image or CompressedImage); repeat for more cameras, in the order the '
        "policy node's image_topics will list them",
    )
    p.add_argument(
        '--camera-name',
        action='append',
        default=None,
        metavar='NAME',
        dest='camera_names',
        help='dataset name of each camera, one per --image-topic (default: from the topic, '
        '/camera/top/image_raw -> top)',
    )
    p.add_argument(
        '--joint-state-topic',
        default='/joint_states',
        metavar='TOPIC',
        help='sensor_msgs/JointState (default /joint_states)',
    )
    p.add_argument(
        '--action-topic',
        default=None,
        metavar='TOPIC',
        help='JointTrajectory or Float64MultiArray commands (needed with --action-from command)',
    )
    p.add_argument(
        '--action-from',
        choices=['command', 'next_state'],
        default='command',
        help='action = the commanded positions (default) or the joint state one step later',
    )
    p.add_argument(
        '--rate', type=float, default=10.0, metavar='HZ', help='dataset rate (default 10)'
    )
    p.add_argument(
        '--image-size',
        type=int,
        nargs=2,
        default=[96, 96],
        metavar=('H', 'W'),
        help='frames are resized to this (default 96 96)',
    )
    p.add_argument(
        '--max-age',
        type=float,
        default=None,
        metavar='S',
        help='drop a step whose newest frame or joint state is older (default: two steps)',
    )
    p.add_argument(
        '--depth-max',
        type=float,
        default=2.0,
        metavar='M',
        help='depth shown as white, metres (default 2)',
    )
    p.add_argument('--overwrite', action='store_true', help='replace an existing dataset')
    p.add_argument('--no-progress', action='store_true')
    p.add_argument(
        '--verbose', action='store_true', help='one report line per bag, not only the flagged ones'
    )
    p.set_defaults(run=_run_dataset)


def _run_dataset(args) -> int:
    try:
        from .data.bag_dataset import BagRejected, ConversionSettings, convert_bags
    except ImportError as exc:
        print(f'dataset: {exc}; install the bag reader: pip install rosbags', file=sys.stderr)
        return 1
    try:
        settings = ConversionSettings(
            image_topics=tuple(args.image_topics),
            joint_state_topic=args.joint_state_topic,
            action_topic=args.action_topic,
            camera_names=tuple(args.camera_names) if args.camera_names else None,
            rate_hz=args.rate,
            action_from=args.action_from,
            image_size=tuple(args.image_size),
            max_age=args.max_age,
            depth_max=args.depth_max,
        )
        store, reports = convert_bags(
            args.bags,
            args.output_dir,
            settings,
            overwrite=args.overwrite,
            progress=not args.no_progress,
        )
    except BagRejected as exc:
        print(f'dataset: bag refused, no dataset written: {exc}', file=sys.stderr)
        return 1
    except (FileExistsError, ValueError) as exc:
        print(f'dataset: {exc}', file=sys.stderr)
        return 1
    # Every bag's line when asked; otherwise only the bags that lost or shifted steps.
    flagged = [
        (n, r)
        for n, r in zip(store.episode_names, reports)
        if args.verbose or r.steps < r.grid_steps or r.misaligned
    ]
    for name, report in flagged:
        print(f'{name} <- {report.line()}')
    dropped = sum(r.grid_steps - r.steps for r in reports)
    misaligned = sum(r.misaligned for r in reports)
    print(
        f'steps dropped (stale input): {dropped}; misaligned (an input over half a step old): {misaligned}'
        + ('' if args.verbose else '; --verbose lists every bag')
    )
    lengths = store.episode_lengths
    print(
        f'{len(store)} episodes, {sum(lengths)} steps at {args.rate:g} Hz (min {min(lengths)}, max {max(lengths)}); '
        f'cameras {", ".join(store.meta.camera_names)}; joints {", ".join(store.meta.joint_names)}'
    )
    print(f'dataset: {store.root}')
    return 0


def _add_eval(sub) -> None:
    p = sub.add_parser(
        'eval',
        help='closed-loop episodes of a bundle in the built-in simulator',
        description='Runs the bundle through PolicyController in the simulator on '
        'simulated time; reports success, solution shares, switches, latency.',
    )
    p.add_argument('--model', required=True, help='bundle directory, e.g. models/reach_default')
    p.add_argument('--episodes', type=int, default=100)
    p.add_argument(
        '--seed', type=int, default=0, help='picks the evaluation scenes (never the training ones)'
    )
    p.add_argument('--num-samples', type=int, default=32, help='N chunks drawn per inference')
    p.add_argument('--no-temporal-consistency', action='store_true')
    p.add_argument('--consistency-reset-every', type=int, default=5)
    p.add_argument('--control-rate', type=float, default=50.0, help='Hz')
    p.add_argument('--camera-rate', type=float, default=30.0, help='Hz')
    p.add_argument(
        '--latency-ms',
        type=float,
        default=None,
        help='simulated inference latency; default: the measured inference time',
    )
    p.add_argument('--providers', nargs='+', default=['cpu'])
    p.add_argument(
        '--threads', type=int, default=0, help='ONNX Runtime intra-op threads (0: default)'
    )
    p.add_argument(
        '--plot', default=None, metavar='PNG', help='tool paths of all episodes over the scene'
    )
    p.add_argument(
        '--video', default=None, metavar='MP4', help='the camera view of the first episode'
    )
    p.add_argument(
        '--json', action='store_true', help='print one JSON object instead of the text report'
    )
    p.add_argument('--no-progress', action='store_true')
    p.set_defaults(run=_run_eval)


def _run_eval(args) -> int:
    import json

    from .evaluation.closed_loop import EvalConfig, evaluate
    from .evaluation.start_modes import start_mode_shares
    from .runtime import BundleError, load_bundle

    try:
        bundle = load_bundle(args.model, providers=args.providers, intra_op_threads=args.threads)
    except BundleError as exc:
        print(f'eval: cannot use the model: {exc}', file=sys.stderr)
        return 1
    cfg = EvalConfig(
        episodes=args.episodes,
        seed=args.seed,
        num_samples=args.num_samples,
        temporal_consistency=not args.no_temporal_consistency,
        consistency_reset_every=args.consistency_reset_every,
        control_hz=args.control_rate,
        camera_hz=args.camera_rate,
        latency_ms=args.latency_ms,
    )
    frames = [] if args.video else None
    report = evaluate(
        bundle, cfg, progress=not args.no_progress and not args.json, first_episode_frames=frames
    )
    summary = {**report.summary(), **start_mode_shares(bundle, seed=args.seed)}
    if args.plot:
        from .evaluation.pictures import draw_paths

        summary['plot'] = str(draw_paths(report, args.plot, title=f'{args.model}'))
    if args.video:
        from .evaluation.pictures import write_video

        summary['video'] = str(write_video(frames, args.video, fps=cfg.camera_hz))
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f'model {args.model}: {summary["episodes"]} episodes, provider {bundle.encoder_provider}'
        )
        print(
            f'  success {summary["success_rate"]:.0%} (collisions {summary["collision_rate"]:.0%}, '
            f'timeouts {summary["timeout_rate"]:.0%})'
        )
        print(
            '  solutions '
            + ', '.join(f'{k} {v:.0%}' for k, v in summary['mode_share'].items())
            + f'; switches per episode {summary["switches_per_episode"]:.2f}'
        )
        print(
            f'  at the start, {summary["scenes_offering_both_sides"]:.0%} of scenes offer both sides '
            f'({summary["start_share_right"]:.0%} of sampled chunks go right)'
        )
        print(
            f'  inference p50 {summary["inference_ms_p50"]:.1f} ms, p99 {summary["inference_ms_p99"]:.1f} ms '
            f'(N = {cfg.num_samples}, temporal consistency {"on" if cfg.temporal_consistency else "off"})'
        )
        for key in ('plot', 'video'):
            if key in summary:
                print(f'  {key}: {summary[key]}')
    return 0


def _add_replay(sub) -> None:
    p = sub.add_parser(
        'replay',
        help='run a model offline over recorded demonstrations, as the node would',
        description='Feeds a recorded bag (or a dataset episode) to the same controller the node '
        'runs, on simulated time with simulated inference latency, and compares each '
        "chunk the model chose with the demonstrator's commands: errors per joint and a "
        'picture. Check a model on held-out demos before it touches the arm.',
    )
    p.add_argument(
        'recording',
        help='a bag (directory or .mcap/.db3 file), or a dataset directory (meta.json)',
    )
    p.add_argument('--model', required=True, help='bundle directory')
    p.add_argument('--episode', type=int, default=0, help='with a dataset: which episode')
    p.add_argument(
        '--config',
        default='sim.yaml',
        help='with a bag: the deploy config whose image_topics, joint_state_topic and command_topic '
        "to read (the node's own topics), and whose control_rate_hz to tick at",
    )
    p.add_argument(
        '--image-topic', action='append', default=None, help="override the config's image topics"
    )
    p.add_argument('--joint-state-topic', default=None)
    p.add_argument('--action-topic', default=None, help="override the config's command_topic")
    p.add_argument(
        '--rate', type=float, default=30.0, help='with a bag: feed the recording at this rate (Hz)'
    )
    p.add_argument(
        '--latency',
        type=float,
        default=None,
        metavar='MS',
        help='simulated inference latency; default: the measured inference time',
    )
    p.add_argument('--num-samples', type=int, default=32)
    p.add_argument('--no-temporal-consistency', action='store_true')
    p.add_argument('-o', '--output', default='replay.png', help='the picture (PNG)')
    p.add_argument(
        '--json', action='store_true', help='print one JSON object instead of the text report'
    )
    p.set_defaults(run=_run_replay)


def _run_replay(args) -> int:
    import json

    from .evaluation.replay import replay_episode, ReplayConfig
    from .evaluation.replay_picture import draw_replay
    from .evaluation.replay_sources import load_recording, RecordingError
    from .runtime import BundleError, load_bundle

    try:
        bundle = load_bundle(args.model)
        recording, control_hz = load_recording(args, bundle)
        report = replay_episode(
            bundle,
            recording,
            ReplayConfig(
                num_samples=args.num_samples,
                temporal_consistency=not args.no_temporal_consistency,
                control_hz=control_hz,
                latency_ms=args.latency,
            ),
        )
    except (BundleError, RecordingError, ValueError, FileNotFoundError) as exc:
        print(f'replay: {exc}', file=sys.stderr)
        return 1
    summary = {**report.summary(), 'picture': str(draw_replay(report, args.output))}
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f'{summary["episode"]}: {summary["inferences"]} inferences of {args.model}')
    for name in report.action_names:
        print(
            f'  {name}: MAE executed {summary["mae_executed"][name]:.4f} (best of N '
            f'{summary["mae_executed_best_of_n"][name]:.4f}, holding still '
            f'{summary["mae_executed_holding_still"][name]:.4f}); whole chunk {summary["mae_chunk"][name]:.4f}'
        )
    print(f'  picture: {summary["picture"]}')
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='imle-policy-ros', description=__doc__.strip().splitlines()[0]
    )
    sub = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    _add_sim_demos(sub)
    _add_dataset(sub)
    _add_train(sub)
    _add_export(sub)
    _add_eval(sub)
    _add_replay(sub)
    _add_run(sub)
    add_bench_parser(sub)
    add_soak_parser(sub)
    return parser


def _add_run(sub) -> None:
    p = sub.add_parser(
        'run',
        help='start the ROS 2 nodes a config names, in this process (no ros2 launch needed)',
        description='Start the nodes whose names are the top-level keys of a ROS parameters file '
        '(config/sim.yaml: the simulator and the policy), each with its parameters '
        'from that file, under one executor. Needs rclpy: a sourced ROS 2, or '
        "pip install 'imle_policy_ros[ros]'.",
    )
    p.add_argument(
        '--config',
        required=True,
        help="parameters file: a path, or a name in the package's config/",
    )
    p.add_argument('--model', default=None, help="override the policy's model_path")
    p.add_argument('--duration', type=float, default=None, help='stop after this many seconds')
    p.add_argument(
        'ros_args',
        nargs=argparse.REMAINDER,
        help='extra ROS arguments after --ros-args, e.g. --ros-args -p imle_policy:autostart:=false',
    )
    p.set_defaults(run=_run_run)


def _run_run(args) -> int:
    try:
        import rclpy  # noqa: F401
    except ImportError:
        print(
            'run: rclpy is not importable. Source your ROS 2 install, or pip install '
            "'imle_policy_ros[ros]' (pip wheels of ROS 2 Jazzy; Python 3.11, x86_64).",
            file=sys.stderr,
        )
        return 1
    from .ros.run import run

    extra = list(args.ros_args)
    if extra and extra[0] == '--ros-args':
        extra = extra[1:]
    try:
        return run(args.config, model=args.model, duration=args.duration, ros_args=extra)
    except (FileNotFoundError, ValueError) as exc:
        print(f'run: {exc}', file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == '__main__':
    sys.exit(main())
