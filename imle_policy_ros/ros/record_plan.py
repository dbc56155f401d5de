# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What `record_demos.launch.py` starts, as plain data.

That is the hardware of `deploy.launch.py`, `ros2 bag record` for one episode, and with a
simulated robot (robot:=sim, robot:=metaworld) its scripted teleoperator.

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

With robot:=metaworld the teleoperator is metaworld_teleop_node: the task's expert
(`expert:=shipped`, Meta-World's own, or `expert:=two_way`, push-wall-v3 round the end of
the wall `side:=` names) sends pose targets and gripper commands on the `metaworld_robot`
section's topics, recorded in the same way. Scenes are env seeds below the evaluation's
(`seed:=`, default the episode number), so a policy is evaluated on scenes it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re

from .command_outputs import COMMAND_OUTPUTS
from .gripper_outputs import GRIPPER_OUTPUTS
from .launch_plan import DeployArgs, NodeSpec, plan_hardware, PlanError, SIMULATED
from ..sim import sim_topics
from ..sim.scene_seeds import EVAL_FIRST_SEED

STORAGES = ('mcap', 'sqlite3')
EPISODE_NAME = re.compile(r'^episode_(\d+)$')
SIDES = ('random', 'left', 'right')
EXPERTS = ('shipped', 'two_way')  # robot:=metaworld (ros/metaworld_teleop_node.py)
# The simulated robots' node names and their scripted teleoperators'
TELEOPERATORS = {
    'sim': ('sim_robot', 'sim_teleop'),
    'metaworld': ('metaworld_robot', 'metaworld_teleop'),
}


@dataclass(frozen=True)
class RecordArgs:
    hardware: DeployArgs = field(default_factory=DeployArgs)
    output_dir: str = 'demos'
    episode: str = ''  # bag directory name; empty: the next free episode_NNNNNN
    storage: str = 'mcap'
    topics: tuple = ()  # empty: from the config
    side: str = 'random'  # robot:=sim, expert two_way: the way the teleoperator takes
    seed: int | None = None  # simulated robots: the scene's seed; None: the episode number
    expert: str = 'shipped'  # robot:=metaworld: the teleoperator, an EXPERTS value


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


def robot_node(robot: str) -> str:
    """Return the node name whose config section describes a simulated robot ('' otherwise)."""
    return TELEOPERATORS[robot][0] if robot in TELEOPERATORS else ''


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


def _sim_teleop_topics(
    robot: str, policy_parameters: dict, robot_parameters: dict
) -> tuple[dict, dict]:
    """
    Return what the scripted teleoperator is told, and the policy parameters to record by.

    robot: a SIMULATED one; robot_parameters: its node's section of the config. Refused for
    a joint interface other than joint_trajectory (robot:=sim: the teleoperator sends
    trajectories or, for an end-effector config, pose targets), and for any joint interface
    with robot:=metaworld (its teleoperator sends pose targets only).
    """
    command_interface = policy_parameters.get('command_interface', 'joint_trajectory')
    if not is_end_effector(policy_parameters):
        if robot == 'metaworld':
            raise PlanError(
                "robot:=metaworld records the expert's pose targets and gripper commands: the "
                'config needs command_interface pose or twist (an ee_pose bundle), not '
                f'{command_interface}'
            )
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
    teleop = {'target_topic': target, 'gripper_topic': gripper}
    if robot == 'sim':
        teleop['action_space'] = 'ee_pose'
        teleop['base_frame'] = robot_parameters.get('base_frame', sim_topics.BASE_FRAME)
    else:  # the teleoperator reads the scene from the robot's own topics
        for name in ('base_frame', 'joint_state_topic', 'ee_pose_topic'):
            if name in robot_parameters:
                teleop[name] = robot_parameters[name]
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
    if args.expert not in EXPERTS:
        raise PlanError(f'expert:={args.expert} is not one of {", ".join(EXPERTS)}')
    if args.expert != 'shipped' and args.hardware.robot != 'metaworld':
        raise PlanError(f'expert:={args.expert} is a Meta-World teleoperator: robot:=metaworld')
    if args.hardware.robot == 'metaworld' and args.expert == 'shipped' and args.side != 'random':
        raise PlanError(
            f"side:={args.side}: Meta-World's shipped experts take one way; expert:=two_way "
            'takes either end of the wall on push-wall-v3'
        )
    hardware = plan_hardware(args.hardware, package_installed)
    teleop, recorded = {}, policy_parameters
    if args.hardware.robot in SIMULATED:
        teleop, recorded = _sim_teleop_topics(
            args.hardware.robot, policy_parameters, robot_parameters or {}
        )
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
    if args.hardware.robot in SIMULATED:
        seed = index if args.seed is None else args.seed
        robot, teleoperator = TELEOPERATORS[args.hardware.robot]
        if args.hardware.robot == 'metaworld':
            if seed >= EVAL_FIRST_SEED:
                raise PlanError(
                    f'seed:={seed} is an evaluation scene (from {EVAL_FIRST_SEED} up): record '
                    'demonstrations on smaller seeds, so evaluation stays on unseen scenes'
                )
            teleop = {**teleop, 'expert': args.expert}
        # One scene per bag: no reset at the end of the episode, and nothing to reset; no time
        # limit either (robot:=sim), so a slow start or demonstration is not cut short.
        one_scene = {'seed': seed, 'reset_on_done': False, 'policy_reset_service': ''}
        if args.hardware.robot == 'sim':
            one_scene['time_limit'] = 0.0
        nodes = [
            NodeSpec(
                n.executable,
                n.name,
                n.namespace,
                n.package,
                n.parameter_files,
                {**n.overrides, **one_scene},
            )
            if n.name == robot
            else n
            for n in nodes
        ]
        nodes.append(
            NodeSpec(
                f'{teleoperator}_node',
                teleoperator,
                overrides={'side': args.side, 'seed': seed, **teleop},
            )
        )
        end_with = teleoperator
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
