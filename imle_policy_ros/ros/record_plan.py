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
An end-effector config (command_interface pose or twist) adds the measured pose
(ee_pose_topic), the gripper's command topic (of a topic gripper_interface) and /tf.
`topics:=` replaces them, e.g. to record a teleop device's command topic instead.

With robot:=sim the scripted teleoperator sends what the config's bundle learns from: for
joint_trajectory its JointTrajectory commands on the command topic; for pose or twist (an
ee_pose bundle) PoseStamped targets on the simulator's `target_pose_topic` and gripper
commands on its `gripper_command_topic` (the `sim_robot` section), which are recorded in
place of the policy's command and gripper topics.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

from .command_outputs import COMMAND_OUTPUTS
from .gripper_outputs import GRIPPER_OUTPUTS
from .launch_plan import DeployArgs, NodeSpec, plan_hardware, PlanError
from ..sim import sim_topics

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


def is_end_effector(policy_parameters: dict) -> bool:
    """Whether the config's command interface executes ee_pose bundles (pose, twist)."""
    output = COMMAND_OUTPUTS.get(policy_parameters.get('command_interface', 'joint_trajectory'))
    return output is not None and output.action_kind == 'ee_pose'


def recorded_topics(policy_parameters: dict, overrides: dict) -> tuple:
    """
    Return the topics the policy of this configuration uses.

    That is the cameras, the joint states and the command topic; for an end-effector config
    also the measured pose, the gripper's command topic and /tf.
    """
    values = {**policy_parameters, **overrides}
    end_effector = is_end_effector(values)
    needed = ('image_topics', 'joint_state_topic', 'command_topic')
    missing = [k for k in needed + ('ee_pose_topic',) * end_effector if not values.get(k)]
    if missing:
        raise PlanError(
            f"the config's imle_policy section has no {', '.join(missing)}: set them, or give "
            f"topics:='TOPIC TOPIC ...'"
        )
    topics = (*values['image_topics'], values['joint_state_topic'])
    if not end_effector:
        return (*topics, values['command_topic'])
    gripper = GRIPPER_OUTPUTS.get(values.get('gripper_interface', 'none'))
    # An action gripper (GripperCommand) has no topic a bag could record: its joint state is
    # in the joint states.
    gripper_topics = (
        (values.get('gripper_topic') or gripper.default_topic,)
        if gripper is not None and gripper.message_type_name
        else ()
    )
    return (
        *topics,
        values['ee_pose_topic'],
        values['command_topic'],
        *gripper_topics,
        sim_topics.TF_TOPIC,
    )


def _sim_teleop_topics(policy_parameters: dict, robot_parameters: dict) -> tuple[dict, dict]:
    """
    Return what the scripted teleoperator is told, and the policy parameters to record by.

    robot:=sim only. Refused for a joint interface other than joint_trajectory: the
    teleoperator sends trajectories or, for an end-effector config, pose targets.
    """
    command_interface = policy_parameters.get('command_interface', 'joint_trajectory')
    if not is_end_effector(policy_parameters):
        if command_interface != 'joint_trajectory':
            raise PlanError(
                "robot:=sim records the scripted teleoperator's JointTrajectory commands "
                '(command_interface joint_trajectory) or its pose targets (pose or twist, an '
                f'ee_pose bundle); the config has command_interface {command_interface}'
            )
        topic = policy_parameters.get(
            'command_topic', '/joint_trajectory_controller/joint_trajectory'
        )
        return {'command_topic': topic}, policy_parameters
    target = robot_parameters.get('target_pose_topic', sim_topics.TARGET_FRAME_TOPIC)
    gripper = robot_parameters.get('gripper_command_topic', sim_topics.GRIPPER_COMMAND_TOPIC)
    teleop = {
        'action_space': 'ee_pose',
        'target_topic': target,
        'gripper_topic': gripper,
        'base_frame': robot_parameters.get('base_frame', sim_topics.BASE_FRAME),
    }
    # What the teleoperator sent is what the bag must hold, whatever the policy will send
    # (a twist config learns from the same pose targets).
    recorded = {
        **policy_parameters,
        'command_topic': target,
        'gripper_interface': 'forward_command',
        'gripper_topic': gripper,
    }
    return teleop, recorded


def plan_record(
    args: RecordArgs,
    policy_parameters: dict,
    existing: list[str],
    package_installed=lambda name: False,
    robot_parameters: dict | None = None,
) -> RecordPlan:
    """
    Plan what record_demos.launch.py starts for one episode.

    policy_parameters: the config's `imle_policy` ros__parameters; existing: the names
    already in output_dir; robot_parameters: its `sim_robot` ros__parameters (robot:=sim).
    """
    if args.storage not in STORAGES:
        raise PlanError(f'storage:={args.storage} is not one of {", ".join(STORAGES)}')
    if args.side not in SIDES:
        raise PlanError(f'side:={args.side} is not one of {", ".join(SIDES)}')
    if args.hardware.robot == 'metaworld':
        raise PlanError(
            'robot:=metaworld has no teleoperator node yet: record Meta-World demos as bags '
            "of the robot node's topics with `imle-policy-ros sim-demos --env metaworld:TASK "
            '--format bag` (the shipped expert; its demos.json names the `dataset` call), or '
            'as a dataset without --format'
        )
    hardware = plan_hardware(args.hardware, package_installed)
    teleop, recorded = {}, policy_parameters
    if args.hardware.robot == 'sim':
        teleop, recorded = _sim_teleop_topics(policy_parameters, robot_parameters or {})
    topics = tuple(args.topics) or recorded_topics(recorded, hardware.topic_overrides)

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
                overrides={'side': args.side, 'seed': seed, **teleop},
            )
        )
        end_with = 'sim_teleop'
    return RecordPlan(hardware.includes, tuple(nodes), command, bag_path, topics, end_with)


def node_section(document: dict, node: str) -> dict:
    """Return a node's ros__parameters in a parameters file ({} when it has none)."""
    for key in (node, f'/{node}'):
        if key in (document or {}):
            return dict(document[key].get('ros__parameters', {}))
    return {}


def policy_section(document: dict) -> dict:
    """Return the `imle_policy` ros__parameters of a parameters file ({} when it has none)."""
    return node_section(document, 'imle_policy')
