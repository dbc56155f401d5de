# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
ConversionSettings: which topics of a bag make an episode, and how they are resampled.

Joint datasets read joint states and joint commands. End-effector (ee_pose) datasets read
a measured pose (a PoseStamped topic, or a chain of /tf transforms), PoseStamped targets
or the next measured pose as the action, and optionally a gripper and further joints.
"""

from __future__ import annotations

from dataclasses import dataclass

from .bag_alignment import ACTION_FROM, step_period_ns
from .camera_names import camera_names_for_topics
from ..runtime.ee_layout import ROTATIONS
from ..settings import check_settings, setting, SettingError

_NS = 1_000_000_000
DEFAULT_EE_FRAME = 'tool0'  # the ROS-Industrial name of the flange / tool frame
# Options that only an end-effector dataset reads, by field, with their flags.
_EE_OPTIONS = {
    'gripper_joint': '--gripper-joint',
    'gripper_topic': '--gripper-topic',
    'gripper_open': '--gripper-open',
    'gripper_closed': '--gripper-closed',
    'state_joints': '--state-joints',
}


@dataclass(frozen=True)
class ConversionSettings:
    image_topics: tuple[str, ...] = setting(
        (),
        description='camera topic (Image or CompressedImage); repeat for more cameras, in the '
        "order the policy node's image_topics will list them",
        flag='--image-topic',
        repeat=True,
        metavar='TOPIC',
    )
    joint_state_topic: str = setting('/joint_states', 'sensor_msgs/JointState', metavar='TOPIC')
    action_topic: str | None = setting(
        None,
        'JointTrajectory or Float64MultiArray commands, or PoseStamped targets for an '
        'end-effector dataset (needed with --action-from command)',
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
        'action = the commanded positions (or target pose), or the joint state (or measured '
        'pose) one step later',
        choices=ACTION_FROM,
    )
    image_size: tuple[int, int] = setting(
        (96, 96), 'frames are resized to this', min=1, metavar=('H', 'W')
    )
    max_age: float | None = setting(
        None,
        's: drop a step whose newest frame, joint state or pose is older (default: two steps)',
        min=1e-6,
        metavar='S',
    )
    depth_max: float = setting(2.0, 'depth shown as white, metres', min=1e-6, metavar='M')
    # ---- end-effector datasets (action kind ee_pose) ----
    ee_pose_topic: str | None = setting(
        None,
        'geometry_msgs/PoseStamped: the measured end-effector pose (e.g. cartesian_controllers '
        "current_pose, UR's tcp_pose_broadcaster/pose); makes an ee_pose dataset",
        metavar='TOPIC',
    )
    base_frame: str | None = setting(
        None,
        'the frame of the poses: with --ee-pose-topic its messages name it (a different '
        'one here is refused); without, the pose is composed from /tf (and /tf_static) '
        'from this frame to --ee-frame',
        metavar='FRAME',
    )
    ee_frame: str | None = setting(
        None,
        'the end-effector frame: with --ee-pose-topic only its name (default '
        f'{DEFAULT_EE_FRAME}); with --base-frame and no pose topic, the end of the /tf chain',
        metavar='FRAME',
    )
    rotation: str = setting(
        '6d',
        'end-effector orientation: 6d learns it; none for a task with a fixed orientation '
        '(the targets must keep one within a few degrees; it is then always commanded)',
        choices=ROTATIONS,
    )
    gripper_joint: str | None = setting(
        None,
        'the gripper joint in the joint states: its position (0 open .. 1 closed) is in the '
        'state, and one step later in the action unless --gripper-topic is given',
        metavar='JOINT',
    )
    gripper_topic: str | None = setting(
        None,
        "the gripper command (Float64MultiArray's first value, or a JointTrajectory's first "
        "position): the action's gripper",
        metavar='TOPIC',
    )
    gripper_open: float | None = setting(
        None,
        'gripper position meaning open, with --gripper-closed (default: of the extremes of '
        'the data, the one the first bag starts nearer to)',
        metavar='X',
    )
    gripper_closed: float | None = setting(
        None, 'gripper position meaning closed (default: the other extreme)', metavar='X'
    )
    state_joints: tuple[str, ...] | None = setting(
        None,
        'end-effector datasets: a joint whose position is added to the state; repeat for more',
        repeat=True,
        metavar='JOINT',
    )

    state_only: bool = setting(
        False,
        'no camera: a dataset of the state alone (e.g. objects from a tracker, given by '
        '--state-joints), for `train --state-only`',
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, 'image_topics', tuple(self.image_topics))
        object.__setattr__(self, 'image_size', tuple(int(v) for v in self.image_size))
        object.__setattr__(self, 'state_joints', tuple(self.state_joints or ()))
        check_settings(self)
        problems = self._end_effector_problems()
        if bool(self.image_topics) == self.state_only:
            problems.append(
                'a state-only dataset takes no image topics'
                if self.state_only
                else 'give at least one image topic (or --state-only: the state alone, for a '
                'state policy)'
            )
        topics = [*self.image_topics] + [
            t
            for t in (
                self.joint_state_topic if self.reads_joint_states else None,
                self.action_topic,
                self.ee_pose_topic,
                self.gripper_topic,
            )
            if t
        ]
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

    def _end_effector_problems(self) -> list[str]:
        if not self.end_effector:
            if self.base_frame or self.ee_frame:
                return [
                    'composing the end-effector pose from /tf needs both --base-frame and '
                    '--ee-frame (or give --ee-pose-topic)'
                ]
            given = [flag for name, flag in _EE_OPTIONS.items() if getattr(self, name)]
            given += ['--rotation'] if self.rotation != '6d' else []
            if given:
                return [
                    f'{", ".join(given)} are for end-effector datasets: give --ee-pose-topic, '
                    'or --base-frame and --ee-frame'
                ]
            return []
        problems = []
        bounds = (self.gripper_open, self.gripper_closed)
        if (bounds[0] is None) != (bounds[1] is None):
            problems.append('give both --gripper-open and --gripper-closed, or neither')
        elif bounds[0] is not None and bounds[0] == bounds[1]:
            problems.append(f'--gripper-open and --gripper-closed are both {bounds[0]}')
        if bounds != (None, None) and not self.has_gripper:
            problems.append(
                '--gripper-open/--gripper-closed need --gripper-joint or --gripper-topic'
            )
        if len(set(self.state_joints)) != len(self.state_joints):
            problems.append(f'--state-joints {list(self.state_joints)} names a joint twice')
        if self.gripper_joint and self.gripper_joint in self.state_joints:
            problems.append(
                f'{self.gripper_joint} is the gripper joint (already in the state as the '
                'gripper); leave it out of --state-joints'
            )
        return problems

    @property
    def end_effector(self) -> bool:
        """Whether the dataset is of kind ee_pose (a pose topic, or a /tf chain, is named)."""
        return bool(self.ee_pose_topic) or bool(self.base_frame and self.ee_frame)

    @property
    def pose_from_tf(self) -> bool:
        return self.end_effector and not self.ee_pose_topic

    @property
    def ee_frame_name(self) -> str:
        return self.ee_frame or DEFAULT_EE_FRAME

    @property
    def has_gripper(self) -> bool:
        return bool(self.gripper_joint or self.gripper_topic)

    @property
    def reads_joint_states(self) -> bool:
        """Whether the joint states are read (an end-effector dataset may not need them)."""
        return not self.end_effector or bool(self.gripper_joint or self.state_joints)

    @property
    def max_age_ns(self) -> int:
        max_age = self.max_age if self.max_age is not None else 2.0 / self.rate_hz
        return int(round(max_age * _NS))
