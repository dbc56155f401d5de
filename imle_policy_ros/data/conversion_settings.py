# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""ConversionSettings: which topics of a bag make an episode, and how they are resampled."""

from __future__ import annotations

from dataclasses import dataclass

from .bag_alignment import ACTION_FROM, step_period_ns
from .camera_names import camera_names_for_topics
from ..settings import check_settings, setting, SettingError

_NS = 1_000_000_000


@dataclass(frozen=True)
class ConversionSettings:
    image_topics: tuple[str, ...] = setting(
        description='camera topic (Image or CompressedImage); repeat for more cameras, in the '
        "order the policy node's image_topics will list them",
        flag='--image-topic',
        repeat=True,
        metavar='TOPIC',
    )
    joint_state_topic: str = setting('/joint_states', 'sensor_msgs/JointState', metavar='TOPIC')
    action_topic: str | None = setting(
        None,
        'JointTrajectory or Float64MultiArray commands (needed with --action-from command)',
        metavar='TOPIC',
    )
    camera_names: tuple[str, ...] | None = setting(
        None,
        'dataset name of each camera, one per --image-topic (default: from the topic, '
        '/camera/top/image_raw -> top)',
        flag='--camera-name',
        repeat=True,
        metavar='NAME',
    )
    rate_hz: float = setting(10.0, 'dataset rate, Hz', flag='--rate', metavar='HZ', min=1e-3)
    action_from: str = setting(
        'command',
        'action = the commanded positions, or the joint state one step later',
        choices=ACTION_FROM,
    )
    image_size: tuple[int, int] = setting(
        (96, 96), 'frames are resized to this', min=1, metavar=('H', 'W')
    )
    max_age: float | None = setting(
        None,
        's: drop a step whose newest frame or joint state is older (default: two steps)',
        min=1e-6,
        metavar='S',
    )
    depth_max: float = setting(2.0, 'depth shown as white, metres', min=1e-6, metavar='M')

    def __post_init__(self) -> None:
        object.__setattr__(self, 'image_topics', tuple(self.image_topics))
        object.__setattr__(self, 'image_size', tuple(int(v) for v in self.image_size))
        check_settings(self)
        problems = []
        if not self.image_topics:
            problems.append('give at least one image topic')
        topics = [*self.image_topics, self.joint_state_topic] + (
            [self.action_topic] if self.action_topic else []
        )
        if len(set(topics)) != len(topics):
            problems.append(f'topics {topics} name a topic twice; each input needs its own topic')
        if self.camera_names is not None:
            object.__setattr__(self, 'camera_names', tuple(self.camera_names))
            if len(self.camera_names) != len(self.image_topics):
                problems.append(
                    f'{len(self.camera_names)} camera names for {len(self.image_topics)} '
                    'image topics'
                )
        else:
            try:
                names = camera_names_for_topics(self.image_topics)
                object.__setattr__(self, 'camera_names', names)
            except ValueError as exc:
                problems.append(str(exc))
        if self.action_from == 'command' and not self.action_topic:
            problems.append("action_from 'command' needs the command topic (--action-topic)")
        if len(self.image_size) != 2:
            problems.append(
                f'image_size must be two positive numbers (height width), got {self.image_size}'
            )
        try:
            step_period_ns(self.rate_hz)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise SettingError('dataset conversion: ' + '; '.join(problems))

    @property
    def max_age_ns(self) -> int:
        max_age = self.max_age if self.max_age is not None else 2.0 / self.rate_hz
        return int(round(max_age * _NS))
