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

`bag_to_episode` does one bag in memory and writes nothing (replay runs a model over a
recorded bag with it); `convert_bags` writes a whole dataset, all or nothing: any
BagRejected leaves no dataset behind, not even a partial one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from .bag_alignment import align, Alignment
from .bag_images import frame_decoder, IMAGE_TYPES
from .bag_messages import FLOAT64_ARRAY, JOINT_STATE, JOINT_TRAJECTORY
from .bag_reader import BagRejected, find_bags, read_topics, TopicRequest, TopicSeries
from .conversion_settings import ConversionSettings
from .episode_store import CameraMeta, DatasetMeta, Episode, EpisodeStore, write_dataset_atomically

GENERATOR_NAME = 'imle_policy_ros.data.bag_dataset'
COMMAND_TYPES = (JOINT_TRAJECTORY, FLOAT64_ARRAY)


@dataclass
class EpisodeReport:
    bag: Path
    steps: int  # in the episode
    grid_steps: int  # on the step grid, before stale steps were dropped
    dropped: dict[str, int] = field(default_factory=dict)  # input -> steps dropped for it
    misaligned: int = 0
    max_input_age_ms: float = 0.0
    header_stamped: dict[str, bool] = field(
        default_factory=dict
    )  # topic -> dated by header (not log time)

    def line(self) -> str:
        causes = ', '.join(f'{name} {n}' for name, n in self.dropped.items() if n)
        dropped = self.grid_steps - self.steps
        text = (
            f'{self.bag}: {self.steps} steps, {dropped} dropped'
            + (f' (stale {causes})' if causes else '')
            + f', {self.misaligned} misaligned (an input over half a step old), '
            f'newest input at most {self.max_input_age_ms:.0f} ms old'
        )
        by_log = [t for t, stamped in self.header_stamped.items() if not stamped]
        return text + (f'; dated by log time: {", ".join(by_log)}' if by_log else '')


@dataclass
class BagEpisode:
    """One bag as an episode, plus what is needed to use it without a dataset around it."""

    episode: Episode
    camera_names: tuple[str, ...]  # keys of episode.images, in image-topic order
    joint_names: tuple[str, ...]  # the columns of joint_positions and of actions
    start_time_ns: int  # bag time of step 0; episode.stamps are seconds after it
    report: EpisodeReport
    depth_cameras: tuple[bool, ...]  # per camera: its topic carries depth (shown as grey)


# ---- per-message payloads (kept in memory while a bag is read) -------------------------
def _joint_state_payload(msgtype: str, msg) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(str(n) for n in msg.name)
    positions = np.asarray(msg.position, dtype=np.float64)
    if len(positions) != len(names):
        raise ValueError(f'JointState has {len(names)} names but {len(positions)} positions')
    return names, positions


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
    frames = frame_decoder(*settings.image_size, settings.depth_max)
    wanted = {topic: TopicRequest(IMAGE_TYPES, frames) for topic in settings.image_topics}
    wanted[settings.joint_state_topic] = TopicRequest((JOINT_STATE,), _joint_state_payload)
    if settings.action_from == 'command':
        wanted[settings.action_topic] = TopicRequest(COMMAND_TYPES, _command_payload)
    return wanted


def _joint_states(bag: Path, series: TopicSeries) -> tuple[tuple[str, ...], np.ndarray]:
    names = series.payloads[0][0]
    for i, (other, _) in enumerate(series.payloads):
        if other != names:
            raise BagRejected(
                bag,
                f'joint names on {series.topic} change within the bag (message {i}: '
                f"{list(other)}, first message: {list(names)}); record one arm's joint "
                "states per topic (e.g. joint_state_broadcaster's) with a fixed joint set",
            )
    if not names:
        raise BagRejected(bag, f'{series.topic} carries JointStates without joint names')
    return names, np.stack([p for _, p in series.payloads])


def _is_depth(bag: Path, series: TopicSeries) -> bool:
    kinds = {is_depth for _, is_depth in series.payloads}
    if len(kinds) > 1:
        raise BagRejected(
            bag,
            f'{series.topic} carries both depth and colour images; record one kind of '
            'image per topic',
        )
    return kinds.pop()


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
                f'{series.topic} message {i} does not command joints {missing}; the actions '
                f'must cover every joint state ({list(joint_names)})',
            )
        rows.append(positions[[names.index(n) for n in joint_names]])
    return np.stack(rows)


def _report(bag: Path, alignment: Alignment, series: dict[str, TopicSeries]) -> EpisodeReport:
    return EpisodeReport(
        bag=bag,
        steps=len(alignment.step_times_ns),
        grid_steps=alignment.grid_steps,
        dropped=dict(alignment.dropped),
        misaligned=alignment.misaligned,
        max_input_age_ms=alignment.max_input_age_ns / 1e6,
        header_stamped={t: s.header_stamped for t, s in series.items()},
    )


def _empty_episode(
    bag: Path, settings: ConversionSettings, series: dict[str, TopicSeries], alignment: Alignment
) -> BagRejected:
    if alignment.grid_steps:
        causes = ', '.join(f'{name} {n}' for name, n in alignment.dropped.items() if n)
        return BagRejected(
            bag,
            f'all {alignment.grid_steps} steps were dropped because an input was older than '
            f'{settings.max_age_ns / 1e6:.0f} ms ({causes}); check that the topics were '
            'published throughout the recording, or raise --max-age',
        )
    origin = min(int(s.stamps_ns[0]) for s in series.values())
    spans = '; '.join(
        f'{t} {(s.stamps_ns[0] - origin) / 1e9:.3f}..{(s.stamps_ns[-1] - origin) / 1e9:.3f} s'
        for t, s in series.items()
    )
    return BagRejected(
        bag,
        'no step has every input: the episode would be empty (topics span ' + spans + '). '
        'Steps start when every topic has delivered a message and end at the last '
        + ('command' if settings.action_from == 'command' else 'joint state but one')
        + '; record the topics together (and check their stamps share one clock)',
    )


def bag_to_episode(bag, settings: ConversionSettings, name: str | None = None) -> BagEpisode:
    """
    One bag -> an in-memory Episode, nothing written. BagRejected if it cannot be one.

    episode.images[camera_names[i]] holds the frames of settings.image_topics[i]; the
    stamps are seconds after start_time_ns (bag time of step 0), one step per 1/rate_hz
    except where stale steps were dropped (report.dropped).
    """
    bag = Path(bag)
    series = read_topics(bag, _requests(settings))
    joint_names, states = _joint_states(bag, series[settings.joint_state_topic])
    cameras = settings.camera_names
    camera_keys = {cam: f'camera {cam}' for cam in cameras}
    observations = {
        camera_keys[cam]: series[topic].stamps_ns
        for cam, topic in zip(cameras, settings.image_topics)
    }
    observations['joint states'] = series[settings.joint_state_topic].stamps_ns
    if settings.action_from == 'command':
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
        raise _empty_episode(bag, settings, series, alignment)
    images = {
        cam: np.stack(
            [series[topic].payloads[i][0] for i in alignment.observation_indices[camera_keys[cam]]]
        )
        for cam, topic in zip(cameras, settings.image_topics)
    }
    depth = tuple(_is_depth(bag, series[topic]) for topic in settings.image_topics)
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
    return BagEpisode(episode, cameras, joint_names, start, _report(bag, alignment, series), depth)


def _in_order(
    bag: Path, item: BagEpisode, joint_names: tuple[str, ...], first_bag: Path
) -> Episode:
    """Return the episode with its joint columns in the dataset's order (the first bag's)."""
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
        first = bag_to_episode(bags[0], settings)
        bar.update()
        height, width = settings.image_size
        meta = DatasetMeta(
            rate_hz=settings.rate_hz,
            cameras=tuple(
                CameraMeta(c, height, width, settings.depth_max if depth else None)
                for c, depth in zip(first.camera_names, first.depth_cameras)
            ),
            state_names=first.joint_names,
            action_names=first.joint_names,
            action_kind='joint_position',
            source={
                'generator': GENERATOR_NAME,
                'bags': [str(b) for b in bags],
                'image_topics': list(settings.image_topics),
                'camera_names': list(first.camera_names),
                'joint_state_topic': settings.joint_state_topic,
                'action_topic': settings.action_topic
                if settings.action_from == 'command'
                else None,
                'action_from': settings.action_from,
                'max_age_s': settings.max_age_ns / 1e9,
                'depth_max_m': settings.depth_max,
            },
        )

        def episodes() -> Iterator[Episode]:
            reports.append(first.report)
            yield first.episode
            for bag in bags[1:]:
                item = bag_to_episode(bag, settings)
                if item.depth_cameras != first.depth_cameras:
                    raise BagRejected(
                        bag,
                        f'its image topics carry {_kinds(item)} where the first bag '
                        f'{bags[0]} has {_kinds(first)}; a camera must be one kind in '
                        'every bag',
                    )
                episode = _in_order(bag, item, first.joint_names, bags[0])
                reports.append(item.report)
                bar.update()
                yield episode

        store = write_dataset_atomically(out, meta, episodes(), overwrite=overwrite)
    finally:
        bar.close()
    return store, reports
