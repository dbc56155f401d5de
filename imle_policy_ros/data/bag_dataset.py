# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
rosbag2 bags -> the training dataset: one bag is one episode (`imle-policy-ros dataset`).

Per bag: read the camera, joint-state and command topics (bag_reader), decode and resize
the frames as they are read (bag_images), resample everything onto the dataset's step
grid by timestamp (bag_alignment), and put the commands in the joint states' order. The
state is the JointState positions; the action is the commanded joint positions (the
first point of a JointTrajectory, or the data of a forward_position_controller's
Float64MultiArray, which is in the controller's joint order, assumed to be the joint
states' order), or with `action_from="next_state"` the joint positions one step later.
With an end-effector pose (a PoseStamped topic, or base and ee frames of /tf) the bags
become an ee_pose dataset instead (ee_conversion.py).

`bag_to_episode` does one bag in memory and writes nothing (replay runs a model over a
recorded bag with it); `convert_bags` writes a whole dataset, all or nothing: any
BagRejected leaves no dataset behind, not even a partial one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .bag_alignment import align
from .bag_episode import (  # noqa: F401 - BagEpisode, EpisodeReport: imported from here too
    BagEpisode,
    camera_frames,
    camera_requests,
    camera_stamps,
    empty_episode,
    episode_report,
    EpisodeReport,
    joint_state_payload,
    joint_states,
)
from .bag_messages import FLOAT64_ARRAY, JOINT_STATE, JOINT_TRAJECTORY
from .bag_reader import BagRejected, find_bags, read_topics, TopicRequest, TopicSeries
from .conversion_settings import ConversionSettings
from .ee_conversion import ee_bag_to_episode, EeConversion
from .episode_store import CameraMeta, DatasetMeta, Episode, EpisodeStore, write_dataset_atomically

GENERATOR_NAME = 'imle_policy_ros.data.bag_dataset'
COMMAND_TYPES = (JOINT_TRAJECTORY, FLOAT64_ARRAY)


# ---- per-message payloads (kept in memory while a bag is read) -------------------------
def _command_payload(msgtype: str, msg) -> tuple[tuple[str, ...] | None, np.ndarray]:
    if msgtype == FLOAT64_ARRAY:
        return None, np.asarray(msg.data, dtype=np.float64)
    if not msg.points:
        raise ValueError('JointTrajectory without points; the commanded positions are unknown')
    positions = np.asarray(msg.points[0].positions, dtype=np.float64)
    names = tuple(str(n) for n in msg.joint_names)
    if len(positions) != len(names):
        raise ValueError(
            f'JointTrajectory names {len(names)} joints but its first point has '
            f'{len(positions)} positions'
        )
    return names, positions


def _requests(settings: ConversionSettings) -> dict[str, TopicRequest]:
    wanted = camera_requests(settings)
    wanted[settings.joint_state_topic] = TopicRequest((JOINT_STATE,), joint_state_payload)
    if settings.action_from == 'command':
        hint = 'PoseStamped targets make an end-effector dataset: give --ee-pose-topic too'
        wanted[settings.action_topic] = TopicRequest(
            COMMAND_TYPES, _command_payload, type_hint=hint
        )
    return wanted


def _commands(bag: Path, series: TopicSeries, joint_names: tuple[str, ...]) -> np.ndarray:
    """[N, D] commanded positions in the joint states' order."""
    rows = []
    for i, (names, positions) in enumerate(series.payloads):
        if names is None:  # Float64MultiArray: already in the controller's (= state's) order
            if len(positions) != len(joint_names):
                raise BagRejected(
                    bag,
                    f'{series.topic} message {i} has {len(positions)} values for the '
                    f'{len(joint_names)} joints {list(joint_names)} of the joint states',
                )
            rows.append(positions)
            continue
        unknown = [n for n in names if n not in joint_names]
        if unknown:
            raise BagRejected(
                bag,
                f'{series.topic} message {i} commands joints {unknown} that the joint states '
                f'lack (they have {list(joint_names)}); record the joint states of the '
                'commanded arm',
            )
        missing = [n for n in joint_names if n not in names]
        if missing:
            raise BagRejected(
                bag,
                f'{series.topic} message {i} does not command joints {missing}; every command '
                f'must cover the joints the first one named ({list(joint_names)})',
            )
        rows.append(positions[[names.index(n) for n in joint_names]])
    return np.stack(rows)


def _commanded_joints(bag: Path, series: TopicSeries, joint_names: tuple[str, ...]):
    """
    Return the joints the commands name, in the joint states' order.

    The joint states may report more than the commanded arm (a gripper finger, a second
    arm): those are left out of the dataset rather than refusing the recording.
    Float64MultiArray commands name no joints: they must cover every joint state.
    """
    first = next((names for names, _ in series.payloads if names is not None), None)
    if first is None:
        return joint_names
    unknown = [n for n in first if n not in joint_names]
    if unknown:
        raise BagRejected(
            bag,
            f'{series.topic} commands joints {unknown} that the joint states lack (they have '
            f'{list(joint_names)}); record the joint states of the commanded arm',
        )
    return tuple(n for n in joint_names if n in first)


def bag_to_episode(bag, settings: ConversionSettings, name: str | None = None) -> BagEpisode:
    """
    One bag -> an in-memory Episode, nothing written. BagRejected if it cannot be one.

    episode.images[camera_names[i]] holds the frames of settings.image_topics[i]; the
    stamps are seconds after start_time_ns (bag time of step 0), one step per 1/rate_hz
    except where stale steps were dropped (report.dropped). With an end-effector pose in
    the settings, an ee_pose episode whose layout (item.layout) names its dimensions; its
    gripper range and, for rotation 'none', its orientation come from this bag alone.
    """
    if settings.end_effector:
        return ee_bag_to_episode(bag, settings, name)
    bag = Path(bag)
    series = read_topics(bag, _requests(settings))
    joint_names, states = joint_states(bag, series[settings.joint_state_topic])
    observations = camera_stamps(settings, series)
    observations['joint states'] = series[settings.joint_state_topic].stamps_ns
    if settings.action_from == 'command':
        commanded = _commanded_joints(bag, series[settings.action_topic], joint_names)
        states = states[:, [joint_names.index(n) for n in commanded]]
        joint_names = commanded
        commands = _commands(bag, series[settings.action_topic], joint_names)
        action_stamps = series[settings.action_topic].stamps_ns
    else:
        commands, action_stamps = states, np.zeros(0, dtype=np.int64)
    alignment = align(
        observations,
        action_stamps,
        settings.rate_hz,
        settings.action_from,
        'joint states',
        settings.max_age_ns,
    )
    if len(alignment.step_times_ns) == 0:
        last = 'command' if settings.action_from == 'command' else 'joint state but one'
        raise empty_episode(bag, settings, series, alignment, last)
    images, depth = camera_frames(bag, settings, series, alignment)
    start = int(alignment.step_times_ns[0])
    try:
        episode = Episode(
            images=images,
            states=states[alignment.observation_indices['joint states']],
            actions=commands[alignment.action_indices],
            stamps=(alignment.step_times_ns - start) / 1e9,
            name=name or str(bag),
        )
    except ValueError as exc:  # NaN positions, most likely
        raise BagRejected(bag, f'cannot make an episode: {exc}') from exc
    report = episode_report(bag, alignment, series)
    return BagEpisode(episode, settings.camera_names, joint_names, start, report, depth)


class _JointConversion:
    """The joint side of convert_bags: every bag's joints in the first bag's order."""

    def __init__(self, settings: ConversionSettings):
        self.settings = settings

    def episode(self, bag: Path) -> BagEpisode:
        return bag_to_episode(bag, self.settings)

    def meta(self, first: BagEpisode, cameras: tuple[CameraMeta, ...], source: dict):
        return DatasetMeta(
            rate_hz=self.settings.rate_hz,
            cameras=cameras,
            state_names=first.joint_names,
            action_names=first.joint_names,
            action_kind='joint_position',
            source=source,
        )

    def conform(self, bag: Path, item: BagEpisode, first: BagEpisode, first_bag: Path):
        """Return the episode with its joint columns in the dataset's order (the first bag's)."""
        joint_names = first.joint_names
        if item.joint_names == joint_names:
            return item.episode
        if sorted(item.joint_names) != sorted(joint_names):
            raise BagRejected(
                bag,
                f'joint names {list(item.joint_names)} differ from those of the first bag '
                f'{first_bag} ({list(joint_names)}); convert the bags of one arm together',
            )
        order = [item.joint_names.index(n) for n in joint_names]
        e = item.episode
        return Episode(e.images, e.states[:, order], e.actions[:, order], e.stamps, e.name)


def _source(settings: ConversionSettings, bags: list[Path], first: BagEpisode) -> dict:
    return {
        'generator': GENERATOR_NAME,
        'bags': [str(b) for b in bags],
        'image_topics': list(settings.image_topics),
        'camera_names': list(first.camera_names),
        'joint_state_topic': settings.joint_state_topic if settings.reads_joint_states else None,
        'action_topic': settings.action_topic if settings.action_from == 'command' else None,
        'action_from': settings.action_from,
        'max_age_s': settings.max_age_ns / 1e9,
        'depth_max_m': settings.depth_max,
    }


def _kinds(item: BagEpisode) -> str:
    return ', '.join(
        f'{cam} {"depth" if depth else "colour"}'
        for cam, depth in zip(item.camera_names, item.depth_cameras)
    )


def convert_bags(
    paths: Sequence,
    output_dir,
    settings: ConversionSettings,
    overwrite: bool = False,
    progress: bool = True,
) -> tuple[EpisodeStore, list[EpisodeReport]]:
    """
    Convert every bag under `paths` into one episode of a new dataset at `output_dir`.

    The bags are found as bag_reader.find_bags does; all or nothing. Returns the opened store
    and one report per bag.
    """
    from tqdm import tqdm

    if not paths:
        raise ValueError('dataset conversion: no bags given')
    out = Path(output_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
        raise FileExistsError(
            f'{out}: exists and is not empty; pass --overwrite to replace a dataset'
        )
    bags = find_bags(paths)
    reports: list[EpisodeReport] = []
    bar = tqdm(total=len(bags), desc='dataset', unit='bag', disable=not progress)
    try:
        conversion = (
            EeConversion(settings, bags) if settings.end_effector else _JointConversion(settings)
        )
        first = conversion.episode(bags[0])
        bar.update()
        height, width = settings.image_size
        cameras = tuple(
            CameraMeta(c, height, width, settings.depth_max if depth else None)
            for c, depth in zip(first.camera_names, first.depth_cameras)
        )
        meta = conversion.meta(first, cameras, _source(settings, bags, first))

        def episodes() -> Iterator[Episode]:
            reports.append(first.report)
            yield first.episode
            for bag in bags[1:]:
                item = conversion.episode(bag)
                if item.depth_cameras != first.depth_cameras:
                    raise BagRejected(
                        bag,
                        f'its image topics carry {_kinds(item)} where the first bag '
                        f'{bags[0]} has {_kinds(first)}; a camera must be one kind in '
                        'every bag',
                    )
                episode = conversion.conform(bag, item, first, bags[0])
                reports.append(item.report)
                bar.update()
                yield episode

        store = write_dataset_atomically(out, meta, episodes(), overwrite=overwrite)
    finally:
        bar.close()
    return store, reports
