# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Where `imle-policy-ros replay` gets its recording: a bag or an episode of a dataset.

A bag is read with the topics the node subscribes to (from the deploy config); the dataset
is one on disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .replay import RecordedEpisode
from ..data.bag_dataset import bag_to_episode, ConversionSettings
from ..data.bag_reader import BagRejected
from ..data.episode_store import EpisodeStore
from ..errors import Refusal
from ..resources import resolve_config_path


class RecordingError(Refusal, ValueError):
    """The recording cannot be replayed; the message says why and what to do."""


def from_dataset(store: EpisodeStore, index: int) -> RecordedEpisode:
    """Episode `index` of a dataset on disk."""
    if not 0 <= index < len(store):
        raise RecordingError(f'{store.root} has episodes 0..{len(store) - 1}, not {index}')
    episode, meta = store.episode(index), store.meta
    return RecordedEpisode(
        np.asarray(episode.stamps),
        dict(episode.images),
        list(meta.state_names),
        np.asarray(episode.states),
        list(meta.action_names),
        np.asarray(episode.actions),
        name=f'{store.root.name}/{store.episode_names[index]}',
    )


def from_bag(bag, settings: ConversionSettings) -> RecordedEpisode:
    try:
        converted = bag_to_episode(bag, settings)
    except BagRejected as exc:
        raise RecordingError(str(exc)) from None
    episode, layout = converted.episode, converted.layout
    states = list(layout.state_names if layout else converted.joint_names)
    actions = list(layout.action_names if layout else converted.joint_names)
    return RecordedEpisode(
        np.asarray(episode.stamps),
        dict(episode.images),
        states,
        np.asarray(episode.states),
        actions,
        np.asarray(episode.actions),
        name=Path(bag).name,
    )


def load_recording(args, bundle) -> tuple[RecordedEpisode, float]:
    """Load (the recording, the control rate to tick at) for the replay command's arguments."""
    path = Path(args.recording)
    config = {}
    if args.config:
        with open(resolve_config_path(args.config)) as f:
            config = (yaml.safe_load(f) or {}).get('imle_policy', {}).get('ros__parameters', {})
    control_hz = float(config.get('control_rate_hz', 50.0))
    if (path / 'meta.json').is_file():
        return from_dataset(EpisodeStore.open(path), args.episode), control_hz
    if not path.exists():
        raise RecordingError(
            f'{path} does not exist: give a bag (directory or .mcap/.db3) or a dataset directory'
        )
    image_topics = args.image_topic or config.get('image_topics')
    action_topic = args.action_topic or config.get('command_topic')
    joint_state_topic = args.joint_state_topic or config.get('joint_state_topic', '/joint_states')
    if not image_topics or not action_topic:
        raise RecordingError(
            'which topics? give --config with the deploy config, '
            'or --image-topic and --action-topic'
        )
    camera = bundle.spec.cameras[0]
    # depth shown as grey exactly as in the model's training data
    depth_max = next(
        (c.depth_max_m for c in bundle.spec.cameras if c.depth_max_m), ConversionSettings.depth_max
    )
    settings = ConversionSettings(
        tuple(image_topics),
        joint_state_topic,
        action_topic,
        rate_hz=args.rate,
        image_size=(camera.height, camera.width),
        depth_max=depth_max,
        **_end_effector_settings(bundle.spec, config),
    )
    return from_bag(path, settings), control_hz


def _end_effector_settings(spec, config: dict) -> dict:
    """Return how to read an ee_pose recording: the deploy config's topics, the bundle's layout."""
    layout = spec.ee_layout
    if layout is None:
        return {}
    if not config.get('ee_pose_topic'):
        raise RecordingError(
            'an ee_pose model replays a bag with the deploy config that names its ee_pose_topic '
            '(give --config)'
        )
    gripper = layout.gripper
    return {
        'ee_pose_topic': config['ee_pose_topic'],
        'ee_frame': layout.ee_frame,
        'rotation': layout.rotation,
        'gripper_joint': gripper.joint if gripper and gripper.joint else None,
        'gripper_topic': (config.get('gripper_topic') or None) if gripper else None,
        'gripper_open': gripper.open_position if gripper else None,
        'gripper_closed': gripper.closed_position if gripper else None,
        'state_joints': layout.state_joints or None,
    }
