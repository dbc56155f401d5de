# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What every bag conversion shares, joint or end-effector: cameras, joint states, the report.

bag_dataset.py turns a bag into a joint-position episode, ee_conversion.py into an
end-effector one; both read the cameras and joint states, pick their frames on the step
grid and report the same way with the pieces here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .bag_alignment import Alignment
from .bag_images import frame_decoder, IMAGE_TYPES
from .bag_reader import BagRejected, TopicRequest, TopicSeries
from .conversion_settings import ConversionSettings
from .episode import Episode
from ..runtime.ee_layout import EePoseLayout


@dataclass
class EpisodeReport:
    bag: Path
    steps: int  # in the episode
    grid_steps: int  # on the step grid, before stale steps were dropped
    dropped: dict[str, int] = field(default_factory=dict)  # input name -> steps dropped for it
    misaligned: int = 0
    max_input_age_ms: float = 0.0
    header_stamped: dict[str, bool] = field(
        default_factory=dict
    )  # topic -> dated by header (not log time)
    inputs: str = ''  # end-effector episodes: where the pose came from, the gripper's range

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
        text += f'; dated by log time: {", ".join(by_log)}' if by_log else ''
        return text + (f'; {self.inputs}' if self.inputs else '')


@dataclass
class BagEpisode:
    """One bag as an episode, plus what is needed to use it without a dataset around it."""

    episode: Episode
    camera_names: tuple[str, ...]  # keys of episode.images, in image-topic order
    joint_names: tuple[str, ...]  # joint episodes: the columns of states and actions
    start_time_ns: int  # bag time of step 0; episode.stamps are seconds after it
    report: EpisodeReport
    depth_cameras: tuple[bool, ...]  # per camera: its topic carries depth (shown as grey)
    layout: EePoseLayout | None = None  # end-effector episodes: what states and actions hold


def camera_key(camera: str) -> str:
    """Return the camera's name among the aligned inputs (as reports name it)."""
    return f'camera {camera}'


def camera_requests(settings: ConversionSettings) -> dict[str, TopicRequest]:
    frames = frame_decoder(*settings.image_size, settings.depth_max)
    return {topic: TopicRequest(IMAGE_TYPES, frames) for topic in settings.image_topics}


def camera_stamps(settings: ConversionSettings, series: dict[str, TopicSeries]) -> dict:
    """Return the cameras' frame stamps, by their name among the aligned inputs."""
    return {
        camera_key(cam): series[topic].stamps_ns
        for cam, topic in zip(settings.camera_names, settings.image_topics)
    }


def camera_frames(
    bag: Path, settings: ConversionSettings, series: dict[str, TopicSeries], alignment: Alignment
) -> tuple[dict[str, np.ndarray], tuple[bool, ...]]:
    """Return (the frames of each step by camera name, whether each camera is depth)."""
    indices = alignment.observation_indices
    images = {
        cam: np.stack([series[topic].payloads[i][0] for i in indices[camera_key(cam)]])
        for cam, topic in zip(settings.camera_names, settings.image_topics)
    }
    return images, tuple(_is_depth(bag, series[topic]) for topic in settings.image_topics)


def joint_state_payload(msgtype: str, msg) -> tuple[tuple[str, ...], np.ndarray]:
    names = tuple(str(n) for n in msg.name)
    positions = np.asarray(msg.position, dtype=np.float64)
    if len(positions) != len(names):
        raise ValueError(f'JointState has {len(names)} names but {len(positions)} positions')
    return names, positions


def joint_states(bag: Path, series: TopicSeries) -> tuple[tuple[str, ...], np.ndarray]:
    """Return (the joint names, positions [N, D]) of a topic whose messages all name them."""
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


def episode_report(
    bag: Path,
    alignment: Alignment,
    series: dict[str, TopicSeries],
    inputs: str = '',
    header_stamped: dict[str, bool] | None = None,
) -> EpisodeReport:
    return EpisodeReport(
        bag=bag,
        steps=len(alignment.step_times_ns),
        grid_steps=alignment.grid_steps,
        dropped=dict(alignment.dropped),
        misaligned=alignment.misaligned,
        max_input_age_ms=alignment.max_input_age_ns / 1e6,
        header_stamped=(
            header_stamped
            if header_stamped is not None
            else {t: s.header_stamped for t, s in series.items()}
        ),
        inputs=inputs,
    )


def empty_episode(
    bag: Path,
    settings: ConversionSettings,
    series: dict[str, TopicSeries],
    alignment: Alignment,
    last_input: str,
) -> BagRejected:
    """Return the refusal of a bag none of whose steps has every input."""
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
        + last_input
        + '; record the topics together (and check their stamps share one clock)',
    )
