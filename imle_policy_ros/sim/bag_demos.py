# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Expert demonstrations as rosbag2 bags, recorded the way a teleoperated session would be.

`sim-demos --format bag` writes one bag per episode (`<out>/episode_000000/`, ...) plus
`<out>/demos.json` (seed, sides, counts). This is the reach task in joint space (the grasp
task and end-effector commands also record the gripper, the tool pose and tf:
sim/ee_bag_demos.py). Each bag holds what `ros2 bag record` would have captured from the
live simulator (ros/sim_robot_node.py, same topics, types and frame id) while an operator
drove it:

- `/camera/top/image_raw` sensor_msgs/Image rgb8 at the camera rate, stamped when rendered;
- `/joint_states` at the joint-state rate, with names, positions and velocities;
- `/joint_trajectory_controller/joint_trajectory`: the scripted expert stands in for the
  operator and sends, at the dataset rate, one-point trajectories to where its plan is one
  step ahead, reached in one step (time_from_start), exactly the command record_episode
  stores as the action.

The simulation runs on a simulated clock in integer nanoseconds: event i of a stream of
rate r happens at round(i * 1e9 / r) after the episode start, so at 30 Hz frames and 10 Hz
steps a frame falls exactly on every step. The arm follows the commands through the same
CommandFollower as the live node (JointTrajectoryController semantics), with physics
advanced to every event. Stamps count from a fixed, non-zero epoch (a zero stamp means
"unset" to ROS tools); log times are the stamps plus a constant receive latency, so a
converter that dates by log time instead of header stamps would be visibly off.

Episode i depends only on (seed, i), as in sim/demos.py, whose helpers this reuses.
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import tempfile

import numpy as np

from .command_follower import CommandFollower
from .demo_config import DemoConfig
from .demos import check_expert_outcome, demo_provenance, draw_episodes
from .expert import ExpertSettings, ScriptedExpert
from .grasp_task import expert_for
from .reach_env import ReachEnv
from .reach_task import TaskScene
from .sim_topics import CAMERA_FRAME_ID, CAMERA_TOPIC, JOINT_STATE_TOPIC, TRAJECTORY_TOPIC
from ..data.bag_messages import (
    IMAGE,
    image_message,
    JOINT_STATE,
    joint_state_message,
    JOINT_TRAJECTORY,
    joint_trajectory_message,
)
from ..data.bag_writer import BagWriter, RELIABLE_QOS, SENSOR_DATA_QOS
from ..data.durable_files import install_directory, replaceable_directory
from ..data.episode_store import episode_dir_name

SIM_EPOCH_NS = 1_700_000_000 * 1_000_000_000  # the simulated clock's zero (2023-11-14)
RECEIVE_LATENCY_NS = 1_000_000  # publish -> recorder
DEMOS_FILE = 'demos.json'
_NS = 1_000_000_000

# Order of simultaneous events: physics and joint state first, then the frame of that
# state, then the operator's command, which only acts after both were observed.
JOINT_STATE_EVENT, CAMERA_EVENT, COMMAND_EVENT = 0, 1, 2


def tick_times(rate_hz: float, end_ns: int) -> list[int]:
    count = int(np.floor(end_ns * rate_hz / _NS + 1e-9)) + 1
    return [t for t in (round(i * _NS / rate_hz) for i in range(count)) if t <= end_ns]


def event_schedule(settings: DemoConfig, steps: int, end_ns: int) -> list[tuple[int, int, int]]:
    """Return (time ns, kind, index) of every joint state, frame and command, in order."""
    return sorted(
        [
            (t, JOINT_STATE_EVENT, i)
            for i, t in enumerate(tick_times(settings.joint_state_rate_hz, end_ns))
        ]
        + [(t, CAMERA_EVENT, i) for i, t in enumerate(tick_times(settings.camera_rate_hz, end_ns))]
        + [(round(k * _NS / settings.rate_hz), COMMAND_EVENT, k) for k in range(steps)]
    )


class JointCommandRecorder:
    """
    What the reach task's bags record of the arm: joint states, and trajectories as commands.

    The arm follows the commands through the same CommandFollower as the live node
    (JointTrajectoryController semantics). sim/ee_bag_demos.py extends it with the gripper.
    """

    def __init__(self, env: ReachEnv, settings: DemoConfig):
        self.names = list(env.joint_names)
        self.follower = CommandFollower(self.names, env.joint_positions)
        self.step_ns = round(_NS / settings.rate_hz)

    def add_topics(self, bag: BagWriter) -> None:
        bag.add_topic(JOINT_STATE_TOPIC, JOINT_STATE, SENSOR_DATA_QOS)
        bag.add_topic(TRAJECTORY_TOPIC, JOINT_TRAJECTORY, RELIABLE_QOS)

    def before_physics(self, env: ReachEnv, now: float) -> None:
        """As sim_robot_node: the controller's setpoint now, held over the interval."""
        env.command(self.follower.target(now))

    def write_state(self, bag: BagWriter, env: ReachEnv, stamp: int, received: int) -> None:
        message = joint_state_message(
            bag.typestore, self.names, env.joint_positions, env.joint_velocities, stamp
        )
        bag.write(JOINT_STATE_TOPIC, message, received)

    def command(
        self, bag: BagWriter, env: ReachEnv, expert, t: float, dt: float, now: float, stamp: int
    ) -> None:
        """Send and record the expert's command of step time t, dt long, at the clock's now."""
        target = expert.action(t, dt)  # the same command record_episode stores
        self.follower.follow_trajectory(now, self.names, [self.step_ns / _NS], [target])
        message = joint_trajectory_message(bag.typestore, self.names, target, self.step_ns, stamp)
        bag.write(TRAJECTORY_TOPIC, message, stamp + RECEIVE_LATENCY_NS)


def command_recorder(env: ReachEnv, settings: DemoConfig) -> JointCommandRecorder:
    """Return the recorder of the robot these settings record (with the gripper or not)."""
    if settings.with_gripper:
        # Imported here: it builds on this module.
        from .ee_bag_demos import GripperCommandRecorder

        return GripperCommandRecorder(env, settings)
    return JointCommandRecorder(env, settings)


def record_bag_episode(
    path,
    env: ReachEnv,
    expert: ScriptedExpert,
    scene: TaskScene,
    side: str,
    settings: DemoConfig = DemoConfig(),
    name: str = 'episode',
) -> int:
    """
    Run one episode and record it as the bag `path` (which must not exist).

    Returns the number of dataset steps (commands). RuntimeError if the expert fails (a bug).
    """
    dt = 1.0 / settings.rate_hz
    env.reset(scene=scene)
    expert.reset(scene, rng=None, side=side)
    steps = expert.command_steps(dt) + settings.hold_steps
    # One step past the last command: the arm gets there, and the state after it is recorded.
    end_ns = round(steps * _NS / settings.rate_hz)
    events = event_schedule(settings, steps, end_ns)
    robot = command_recorder(env, settings)
    physics_ns = 0
    with BagWriter(path, settings.storage, settings.distro) as bag:
        bag.add_topic(CAMERA_TOPIC, IMAGE, SENSOR_DATA_QOS)
        robot.add_topics(bag)
        for t_ns, kind, k in events:
            if t_ns > physics_ns:
                robot.before_physics(env, t_ns / _NS)
                env.advance((t_ns - physics_ns) / _NS)
                physics_ns = t_ns
            stamp = SIM_EPOCH_NS + t_ns
            received = stamp + RECEIVE_LATENCY_NS
            if kind == JOINT_STATE_EVENT:
                robot.write_state(bag, env, stamp, received)
            elif kind == CAMERA_EVENT:
                frame = image_message(bag.typestore, env.camera_frame(), stamp, CAMERA_FRAME_ID)
                bag.write(CAMERA_TOPIC, frame, received)
            else:
                robot.command(bag, env, expert, k * dt, dt, t_ns / _NS, stamp)
        check_expert_outcome(env, scene, side, name)
    return steps


def _replaceable(out: Path, overwrite: bool) -> bool:
    return replaceable_directory(out, overwrite, marker=DEMOS_FILE, what='bag demos')


def generate_bag_demos(
    n: int,
    output_dir,
    seed: int = 0,
    settings: DemoConfig = DemoConfig(),
    overwrite: bool = False,
    progress: bool = True,
    expert_settings: ExpertSettings = ExpertSettings(),
) -> dict:
    """
    Record n expert demonstrations as bags under `output_dir`, all or nothing.

    They are written to a temporary sibling directory that is renamed into place at the end.
    Returns what demos.json holds.
    """
    if n < 1:
        raise ValueError(f'n must be >= 1, got {n}')
    out = Path(output_dir)
    _replaceable(out, overwrite)
    drawn = draw_episodes(n, seed)
    provenance = demo_provenance(
        drawn, seed, settings.physics_dt, settings.hold_steps, expert_settings
    )
    topics = {
        'camera': CAMERA_TOPIC,
        'joint_states': JOINT_STATE_TOPIC,
        'commands': TRAJECTORY_TOPIC,
    }
    if settings.with_gripper:
        # Imported here: they build on this module's helpers.
        from .ee_bag_demos import gripper_topics
        from .ee_demos import gripper_provenance

        topics = gripper_topics(settings)
        provenance = gripper_provenance(drawn, seed, settings, expert_settings)
    info = {
        **provenance,
        'format': 'rosbag2',
        'storage': settings.storage,
        'distro': settings.distro,
        'rate_hz': settings.rate_hz,
        'camera_rate_hz': settings.camera_rate_hz,
        'joint_state_rate_hz': settings.joint_state_rate_hz,
        'image_size': settings.image_size,
        'topics': topics,
        'clock': {'epoch_ns': SIM_EPOCH_NS, 'receive_latency_ns': RECEIVE_LATENCY_NS},
        'bags': [],
    }
    env = ReachEnv(
        physics_dt=settings.physics_dt, image_size=settings.image_size, task=settings.task
    )
    expert = expert_for(settings.task, expert_settings)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'{out.name}.tmp-', dir=out.parent))
    try:
        from tqdm import tqdm

        for i, (scene, side) in enumerate(
            tqdm(drawn, desc='sim-demos', unit='bag', disable=not progress)
        ):
            steps = record_bag_episode(
                tmp / episode_dir_name(i), env, expert, scene, side, settings, name=f'demo {i}'
            )
            info['bags'].append({'name': episode_dir_name(i), 'steps': steps, 'side': side})
        (tmp / DEMOS_FILE).write_text(json.dumps(info, indent=2) + '\n')
        install_directory(tmp, out, _replaceable(out, overwrite))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return info
