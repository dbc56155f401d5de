# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Meta-World expert demonstrations as rosbag2 bags: what `ros2 bag record` captures of it.

`sim-demos --env metaworld:TASK --format bag` writes one bag per solved scene
(`<out>/episode_000000/`, ...) and `<out>/demos.json`. Each bag holds the topics
ros/metaworld_robot_node.py publishes and takes, with its types, frames and names, while
the expert (the shipped one, or push-wall's two-way one) teleoperates it through the
command topics:

- at the env's 80 Hz, before each step: `/joint_states` (the 7 arm joints, the fingers
  r_close / l_close, and the objects and goal by name: object_state_0.., goal_0..),
  `/ee_pose` (PoseStamped of the hand in world) and, unless state-only, each camera on
  `/camera/<name>/image_raw` (rgb8, frame id the camera's name);
- then the operator's commands of that instant: the target pose on
  `/cartesian_motion_controller/target_frame` (PoseStamped in world, stamped with the state
  it answers) and the finger on `/gripper_controller/commands` (Float64MultiArray
  [r_close, m]: 0 open, 0.04 shut; no header, so its log time dates it).

A last state is written after the final step. Stamps count from bag_demos.SIM_EPOCH_NS on
the env's clock (step k at k / 80 s); log times are the stamps plus RECEIVE_LATENCY_NS.
Scenes and kept demos are those of the store format (sim/metaworld_demos.py): attempt i of
`--seed s` is env seed s * 10000 + i, and only successful episodes are kept, so a bag demo
set and a dataset of the same seed come from the same scenes. `dataset_arguments()` is the
`imle-policy-ros dataset` call that converts them (demos.json carries it).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import tempfile

import numpy as np

from .bag_demos import DEMOS_FILE, RECEIVE_LATENCY_NS, SIM_EPOCH_NS
from .metaworld_demos import (
    episode_info,
    expert_steps,
    GENERATOR_NAME,
    METAWORLD_GRIPPER,
    metaworld_live_state,
    metaworld_provenance,
    solved_scenes,
    TRACKED_NAMES,
)
from .metaworld_env import BASE_FRAME, EE_FRAME, METAWORLD_RATE_HZ, MetaWorldEnv
from .metaworld_experts import expert_for
from .sim_topics import EE_POSE_TOPIC, GRIPPER_COMMAND_TOPIC, JOINT_STATE_TOPIC, TARGET_FRAME_TOPIC
from ..data.bag_messages import (
    FLOAT64_ARRAY,
    float64_array_message,
    IMAGE,
    image_message,
    JOINT_STATE,
    joint_state_message,
    POSE_STAMPED,
    pose_stamped_message,
)
from ..data.bag_writer import BagWriter, RELIABLE_QOS, SENSOR_DATA_QOS
from ..data.durable_files import install_directory, replaceable_directory
from ..data.episode_store import episode_dir_name

CAMERA_TOPIC_PREFIX = '/camera'
_NS = 1_000_000_000


def camera_topic(camera: str, prefix: str = CAMERA_TOPIC_PREFIX) -> str:
    """Return the topic of a Meta-World camera, as metaworld_robot_node publishes it."""
    return f'{prefix}/{camera}/image_raw'


def dataset_arguments(cameras: tuple[str, ...], image_size: int) -> list[str]:
    """Return the `imle-policy-ros dataset` options that turn these bags into a dataset."""
    arguments = [
        '--rate', f'{METAWORLD_RATE_HZ:g}',
        '--ee-pose-topic', EE_POSE_TOPIC,
        '--ee-frame', EE_FRAME,
        '--action-topic', TARGET_FRAME_TOPIC,
        '--rotation', 'none',
        '--gripper-joint', METAWORLD_GRIPPER.joint,
        '--gripper-topic', GRIPPER_COMMAND_TOPIC,
        '--gripper-open', f'{METAWORLD_GRIPPER.open_position:g}',
        '--gripper-closed', f'{METAWORLD_GRIPPER.closed_position:g}',
    ]  # fmt: skip
    for camera in cameras:
        arguments += ['--image-topic', camera_topic(camera)]
    if cameras:
        arguments += ['--image-size', str(image_size), str(image_size)]
    else:
        arguments.append('--state-only')
    for name in TRACKED_NAMES:
        arguments += ['--state-joints', name]
    return arguments


def _stamp(env: MetaWorldEnv) -> int:
    """Return the stamp (ns) of the env's current step on the simulated clock."""
    return SIM_EPOCH_NS + round(env.steps * _NS / METAWORLD_RATE_HZ)


def _write_state(bag: BagWriter, env: MetaWorldEnv, cameras, image_size: int, stamp: int):
    ts, received = bag.typestore, stamp + RECEIVE_LATENCY_NS
    names, positions = metaworld_live_state(env)
    bag.write(JOINT_STATE_TOPIC, joint_state_message(ts, names, positions, None, stamp), received)
    pose = pose_stamped_message(ts, env.ee_pose, BASE_FRAME, stamp)
    bag.write(EE_POSE_TOPIC, pose, received)
    for camera in cameras:
        frame = image_message(ts, env.image(camera, image_size), stamp, camera)
        bag.write(camera_topic(camera), frame, received)


def record_metaworld_bag(
    path: Path,
    env: MetaWorldEnv,
    expert,
    scene_seed: int,
    cameras: tuple[str, ...],
    image_size: int,
    rng: np.random.Generator | None = None,
    storage: str = 'mcap',
    distro: str = 'jazzy',
) -> tuple[int | None, dict]:
    """Record one scene as the bag `path`; return (steps, or None and no bag if failed; info)."""
    with BagWriter(path, storage, distro) as bag:
        ts = bag.typestore
        bag.add_topic(JOINT_STATE_TOPIC, JOINT_STATE, SENSOR_DATA_QOS)
        bag.add_topic(EE_POSE_TOPIC, POSE_STAMPED, SENSOR_DATA_QOS)
        for camera in cameras:
            bag.add_topic(camera_topic(camera), IMAGE, SENSOR_DATA_QOS)
        bag.add_topic(TARGET_FRAME_TOPIC, POSE_STAMPED, RELIABLE_QOS)
        bag.add_topic(GRIPPER_COMMAND_TOPIC, FLOAT64_ARRAY, RELIABLE_QOS)
        for target, gripper in expert_steps(env, expert, scene_seed, rng):
            stamp = _stamp(env)
            _write_state(bag, env, cameras, image_size, stamp)
            received = stamp + RECEIVE_LATENCY_NS
            target_msg = pose_stamped_message(ts, target, BASE_FRAME, stamp)
            bag.write(TARGET_FRAME_TOPIC, target_msg, received)
            finger = float(METAWORLD_GRIPPER.position(gripper))
            bag.write(GRIPPER_COMMAND_TOPIC, float64_array_message(ts, [finger]), received)
        _write_state(bag, env, cameras, image_size, _stamp(env))  # where the last command led
    info = episode_info(env, expert, scene_seed)
    if not env.success:
        shutil.rmtree(path)
        return None, info
    return env.steps, info


def generate_metaworld_bags(
    task: str,
    n: int,
    output_dir,
    seed: int = 0,
    cameras: tuple[str, ...] = (),
    image_size: int = 96,
    two_way: bool = False,
    overwrite: bool = False,
    progress: bool = True,
    storage: str = 'mcap',
    distro: str = 'jazzy',
    max_attempts: int | None = None,
) -> dict:
    """
    Record n solved scenes of Meta-World `task` as bags under `output_dir`, all or nothing.

    cameras: the views recorded, each image_size square (none: the state topics only).
    Returns what demos.json holds. RuntimeError if the expert solves too few scenes.
    """
    out = Path(output_dir)
    replaceable_directory(out, overwrite, marker=DEMOS_FILE, what='bag demos')
    env = MetaWorldEnv(task)
    expert = expert_for(env.task, two_way)
    attempts: list[dict] = []
    source = {'generator': GENERATOR_NAME, 'task': f'metaworld:{env.task}', 'seed': seed}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'{out.name}.tmp-', dir=out.parent))
    bags: list[dict] = []

    def record(scene_seed: int, name: str, rng: np.random.Generator):
        bag = episode_dir_name(len(bags))
        steps, info = record_metaworld_bag(
            tmp / bag, env, expert, scene_seed, cameras, image_size, rng, storage, distro
        )
        if steps is not None:
            bags.append({'name': bag, 'steps': steps, 'scene_seed': scene_seed})
        return steps, info

    try:
        for _ in solved_scenes(env.task, n, seed, record, attempts, progress, max_attempts):
            pass
        info = {
            **metaworld_provenance(source, expert.name, attempts),
            'format': 'rosbag2',
            'storage': storage,
            'distro': distro,
            'rate_hz': METAWORLD_RATE_HZ,
            'image_size': image_size,
            'cameras': list(cameras),
            'topics': {
                'joint_states': JOINT_STATE_TOPIC,
                'ee_pose': EE_POSE_TOPIC,
                'cameras': [camera_topic(c) for c in cameras],
                'commands': TARGET_FRAME_TOPIC,
                'gripper_commands': GRIPPER_COMMAND_TOPIC,
                'frames': {'base': BASE_FRAME, 'end_effector': EE_FRAME},
            },
            'clock': {'epoch_ns': SIM_EPOCH_NS, 'receive_latency_ns': RECEIVE_LATENCY_NS},
            'dataset_arguments': dataset_arguments(cameras, image_size),
            'bags': bags,
        }
        (tmp / DEMOS_FILE).write_text(json.dumps(info, indent=2) + '\n')
        install_directory(
            tmp, out, replaceable_directory(out, overwrite, marker=DEMOS_FILE, what='bag demos')
        )
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        env.close()
    return info
