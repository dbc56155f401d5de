# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What `record_demos.launch.py` starts, as plain data.

That is the hardware of `deploy.launch.py`, `ros2 bag record` for one episode, and with
`robot:=sim` the scripted teleoperator.

One bag per episode: `output_dir:=demos` holds `episode_000000/`, `episode_000001/`, ...
(what `imle-policy-ros dataset demos/` reads). Without `episode:=`, the next free number is
taken; an existing bag is never overwritten (`ros2 bag record -o` refuses it anyway).

The topics recorded are the ones the policy will use, read from the config's
`imle_policy` section (image_topics, joint_state_topic, command_topic, after the hardware's
overrides), so a recording converts with the same names the deployed node subscribes to.
`topics:=` replaces them, e.g. to record a teleop device's command topic instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

from .launch_plan import DeployArgs, NodeSpec, plan_hardware, PlanError

STORAGES = ('mcap', 'sqlite3')
EPISODE_NAME = re.compile(r'^episode_(\d+)$')
SIDES = ('random', 'left', 'right')


@dataclass(frozen=True)
class RecordArgs:
    hardware: DeployArgs = field(default_factory=DeployArgs)
    output_dir: str = 'demos'
    episode: str = ''  # bag directory name; empty: the next free episode_NNNNNN
    storage: str = 'mcap'
    topics: tuple = ()  # empty: from the config
    side: str = 'random'  # robot:=sim: the side the scripted teleoperator takes
    seed: int | None = None  # robot:=sim: the scene's seed; None: the episode number


@dataclass(frozen=True)
class RecordPlan:
    includes: tuple
    nodes: tuple
    record_command: tuple  # argv of `ros2 bag record`
    bag_path: str
    topics: tuple
    end_with: str = ''  # a node whose exit ends the recording (sim: the teleoperator); "": Ctrl-C

    def node(self, name: str) -> NodeSpec:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)


def next_episode(existing: list[str]) -> tuple[str, int]:
    """Return the first episode_NNNNNN after the highest in `existing` (names in output_dir)."""
    numbers = [int(m.group(1)) for m in map(EPISODE_NAME.match, existing) if m]
    index = max(numbers) + 1 if numbers else 0
    return f'episode_{index:06d}', index


def recorded_topics(policy_parameters: dict, overrides: dict) -> tuple:
    """Cameras, joint states and the command topic of the policy's configuration."""
    values = {**policy_parameters, **overrides}
    missing = [
        k for k in ('image_topics', 'joint_state_topic', 'command_topic') if not values.get(k)
    ]
    if missing:
        raise PlanError(
            f"the config's imle_policy section has no {', '.join(missing)}: set them, or give "
            f"topics:='TOPIC TOPIC ...'"
        )
    return (*values['image_topics'], values['joint_state_topic'], values['command_topic'])


def plan_record(
    args: RecordArgs,
    policy_parameters: dict,
    existing: list[str],
    package_installed=lambda name: False,
) -> RecordPlan:
    """
    Plan what record_demos.launch.py starts for one episode.

    policy_parameters: the config's `imle_policy` ros__parameters; existing: the names
    already in output_dir.
    """
    if args.storage not in STORAGES:
        raise PlanError(f'storage:={args.storage} is not one of {", ".join(STORAGES)}')
    if args.side not in SIDES:
        raise PlanError(f'side:={args.side} is not one of {", ".join(SIDES)}')
    hardware = plan_hardware(args.hardware, package_installed)
    topics = tuple(args.topics) or recorded_topics(policy_parameters, hardware.topic_overrides)

    if args.episode:
        if '/' in args.episode or args.episode in ('.', '..'):
            raise PlanError(
                f'episode:={args.episode} must be a plain name '
                f'(the bag directory under output_dir)'
            )
        if args.episode in existing:
            raise PlanError(
                f'{args.output_dir}/{args.episode} exists: pick another episode:= or leave it '
                f'empty for the next free number'
            )
        name, match = args.episode, EPISODE_NAME.match(args.episode)
        index = int(match.group(1)) if match else 0
    else:
        name, index = next_episode(existing)
    bag_path = f'{args.output_dir.rstrip("/")}/{name}'
    # Jazzy takes the topics after --topics (positional topics are deprecated); Humble only
    # positionally. MCAP on Humble needs ros-humble-rosbag2-storage-mcap.
    topic_args = (
        ('--topics', *topics) if args.hardware.ros_distro not in ('humble', 'iron') else topics
    )
    command = ('ros2', 'bag', 'record', '-s', args.storage, '-o', bag_path, *topic_args)

    nodes, end_with = list(hardware.nodes), ''
    if args.hardware.robot == 'sim':
        command_interface = policy_parameters.get('command_interface', 'joint_trajectory')
        if command_interface != 'joint_trajectory':
            raise PlanError(
                "robot:=sim records the scripted teleoperator's JointTrajectory commands; "
                f'the config has command_interface {command_interface}'
            )
        seed = index if args.seed is None else args.seed
        # One scene per bag: no reset at the end of the episode, and nothing to reset; no time
        # limit either, so a slow start or a slow demonstration is not cut short.
        nodes = [
            NodeSpec(
                n.executable,
                n.name,
                n.namespace,
                n.package,
                n.parameter_files,
                {
                    **n.overrides,
                    'seed': seed,
                    'reset_on_done': False,
                    'time_limit': 0.0,
                    'policy_reset_service': '',
                },
            )
            if n.name == 'sim_robot'
            else n
            for n in nodes
        ]
        nodes.append(
            NodeSpec(
                'sim_teleop_node',
                'sim_teleop',
                overrides={
                    'side': args.side,
                    'seed': seed,
                    'command_topic': policy_parameters.get(
                        'command_topic', '/joint_trajectory_controller/joint_trajectory'
                    ),
                },
            )
        )
        end_with = 'sim_teleop'
    return RecordPlan(hardware.includes, tuple(nodes), command, bag_path, topics, end_with)


def policy_section(document: dict) -> dict:
    """Return the `imle_policy` ros__parameters of a parameters file ({} when it has none)."""
    for key in ('imle_policy', '/imle_policy'):
        if key in (document or {}):
            return dict(document[key].get('ros__parameters', {}))
    return {}
