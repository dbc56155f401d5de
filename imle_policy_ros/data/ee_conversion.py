# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
rosbag2 bags -> end-effector (ee_pose) episodes: measured poses, targets, a gripper.

Per bag: the measured pose (a PoseStamped topic, or the /tf chain base -> ee, ee_poses.py)
is an observation series like a camera; the action is the PoseStamped target in effect at
each step (a Cartesian controller's target_frame), or with action_from next_state the
measured pose one step later. The gripper (ee_gripper.py) is in the state as its measured
joint, normalized to 0 open .. 1 closed (or, without a joint, as the command in effect);
the action's gripper is the command in effect where a gripper topic is given, else the
measured value one step later. States and actions are the layout's (runtime/ee_layout.py)
rule applied to these, actions absolute; training makes them relative.

Targets in another frame than the measured poses are refused: cartesian_controllers
ignore a target that is not in the robot's base frame, so the recorded arm did not
follow those targets and a policy trained on them would command poses that never move it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .bag_alignment import align, Alignment
from .bag_episode import (
    BagEpisode,
    camera_frames,
    camera_requests,
    camera_stamps,
    empty_episode,
    episode_report,
    joint_state_payload,
)
from .bag_messages import JOINT_STATE, POSE_STAMPED, TF_MESSAGE
from .bag_reader import BagRejected, read_topics, TopicRequest, TopicSeries
from .conversion_settings import ConversionSettings
from .ee_gripper import (
    gripper_command_request,
    gripper_range,
    gripper_values,
    GripperRange,
    joint_columns,
    scan_gripper,
)
from .ee_poses import (
    orientation_spread,
    pose_payload,
    pose_stamped_series,
    PoseSeries,
    tf_chain_series,
    tf_payload,
    TF_STATIC_TOPIC,
    TF_TOPIC,
)
from .episode import CameraMeta, DatasetMeta, Episode
from ..runtime import rotations
from ..runtime.ee_layout import EePoseLayout

FIXED_ORIENTATION_DEG = 5.0  # rotation 'none': the targets' orientation may vary this much
POSE = 'ee pose'  # the measured pose among the aligned inputs
GRIPPER = 'gripper'
STATE_JOINTS = 'state joints'
GRIPPER_COMMAND = 'gripper command'


def ee_requests(settings: ConversionSettings) -> dict[str, TopicRequest]:
    wanted = camera_requests(settings)
    if settings.pose_from_tf:
        hint = '--base-frame and --ee-frame compose the pose from /tf; or give --ee-pose-topic'
        wanted[TF_TOPIC] = TopicRequest((TF_MESSAGE,), tf_payload, hint=hint)
        wanted[TF_STATIC_TOPIC] = TopicRequest((TF_MESSAGE,), tf_payload, optional=True)
    else:
        hint = '--ee-pose-topic is the measured end-effector pose, a PoseStamped'
        wanted[settings.ee_pose_topic] = TopicRequest((POSE_STAMPED,), pose_payload, hint=hint)
    if settings.reads_joint_states:
        wanted[settings.joint_state_topic] = TopicRequest((JOINT_STATE,), joint_state_payload)
    if settings.action_from == 'command':
        hint = (
            'an end-effector dataset takes PoseStamped targets; for joint commands leave out '
            '--ee-pose-topic/--ee-frame (a joint dataset), or use --action-from next_state'
        )
        wanted[settings.action_topic] = TopicRequest((POSE_STAMPED,), pose_payload, type_hint=hint)
    if settings.gripper_topic:
        wanted[settings.gripper_topic] = gripper_command_request(settings)
    return wanted


def _measured(bag: Path, settings: ConversionSettings, series: dict) -> PoseSeries:
    if settings.pose_from_tf:
        tf = [series[t] for t in (TF_TOPIC, TF_STATIC_TOPIC) if t in series]
        base, ee = settings.base_frame, settings.ee_frame_name
        return tf_chain_series(bag, tf, base, ee, settings.max_age_ns)
    measured = pose_stamped_series(bag, series[settings.ee_pose_topic], 'poses')
    frame, given = measured.frame, settings.base_frame
    if given and frame and frame != given:
        raise BagRejected(
            bag,
            f'the poses on {measured.source} are in frame {frame!r}, not the --base-frame '
            f'{given!r}; leave --base-frame out (the poses name their frame) or record the '
            'pose in that frame',
        )
    if not (frame or given):
        raise BagRejected(
            bag,
            f'the poses on {measured.source} name no frame (empty header.frame_id); give '
            'the frame they are in with --base-frame',
        )
    return PoseSeries(measured.stamps_ns, measured.poses, frame or given, measured.source)


def _targets(bag: Path, settings: ConversionSettings, series: dict, measured: PoseSeries):
    targets = pose_stamped_series(bag, series[settings.action_topic], 'targets')
    if targets.frame != measured.frame:
        raise BagRejected(
            bag,
            f'the targets on {targets.source} are in frame {targets.frame!r} but the measured '
            f'poses ({measured.source}) in {measured.frame!r}: cartesian_controllers ignore '
            'a target in any frame but the robot base frame, so the arm did not follow these '
            'targets and a policy trained on them would never move it. Publish the targets '
            f'in {measured.frame!r} (or name the frame the poses are measured in)',
        )
    return targets


def _signs_fixed(measured: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Make quaternions agree along each series and the targets with the measured poses."""
    measured, targets = measured.copy(), targets.copy()
    measured[:, 3:] = rotations.continuous(rotations.canonical(measured[:, 3:]))
    targets[:, 3:] = rotations.continuous(targets[:, 3:])
    if np.dot(targets[0, 3:], measured[0, 3:]) < 0:
        targets[:, 3:] *= -1.0
    return measured, targets


def _fixed_orientation(bag: Path, settings: ConversionSettings, targets, reference):
    if settings.rotation != 'none':
        return rotations.IDENTITY_QUATERNION
    mean, spread = orientation_spread(targets[:, 3:], reference)
    if spread > FIXED_ORIENTATION_DEG:
        source = settings.action_topic if settings.action_from == 'command' else 'next poses'
        against = 'their mean' if reference is None else "the first bag's orientation"
        raise BagRejected(
            bag,
            f'--rotation none needs targets of one orientation, but those of {source} turn '
            f'up to {spread:.1f} deg from {against} (more than {FIXED_ORIENTATION_DEG:g} '
            'deg); use --rotation 6d to learn the orientation',
        )
    return mean


def _gripper(settings, series, alignment: Alignment, grip: GripperRange, joints, extras):
    """Return (state, action) gripper values per step (0 open .. 1 closed), and the raw ones."""
    spec, commanded, raw = grip.spec, None, None
    if settings.gripper_topic:
        values = np.asarray(series[settings.gripper_topic].payloads, dtype=np.float64)
        raw = extras['gripper_command'] = values[alignment.held_indices[GRIPPER_COMMAND]]
        commanded = spec.normalize(raw)
    if not settings.gripper_joint:
        return commanded, commanded, raw  # no measured joint: the state is what it was told
    stamps, positions = joints[GRIPPER][0], joints[GRIPPER][1][:, 0]
    raw = positions[alignment.observation_indices[GRIPPER]]
    if commanded is None:
        later = np.searchsorted(stamps, alignment.next_times_ns, side='right') - 1
        commanded = spec.normalize(positions[later])
    return spec.normalize(raw), commanded, raw


def _joints(bag: Path, settings: ConversionSettings, series: dict) -> dict:
    """Return the joint series read: name -> (stamps [M], positions [M, J])."""
    joints = {}
    if settings.gripper_joint:
        topic, names = series[settings.joint_state_topic], (settings.gripper_joint,)
        joints[GRIPPER] = joint_columns(bag, topic, names, 'gripper joint')
    if settings.state_joints:
        topic = series[settings.joint_state_topic]
        joints[STATE_JOINTS] = joint_columns(bag, topic, settings.state_joints, 'joints')
    return joints


def _range(bag: Path, settings: ConversionSettings, series: dict, joints: dict):
    """Return the gripper's range from this bag alone."""
    if settings.gripper_joint:
        return gripper_range(bag, settings, [joints[GRIPPER][1][:, 0]])
    return gripper_range(bag, settings, [gripper_values(bag, settings, series)])


def _inputs(measured: PoseSeries, layout: EePoseLayout, grip, raw) -> str:
    text = f'ee pose from {measured.source}'
    if not measured.composed:
        text += f' ({layout.base_frame} -> {layout.ee_frame})'
    if grip is None:
        return text
    s = grip.spec
    return (
        text + f', gripper {grip.what} {raw.min():.4g}..{raw.max():.4g} '
        f'(open {s.open_position:g}, closed {s.closed_position:g})'
    )


def _header_stamped(series: dict[str, TopicSeries]) -> dict[str, bool]:
    """Return per topic whether it was dated by header stamps (for /tf: its transforms')."""
    stamped = {t: s.header_stamped for t, s in series.items() if t != TF_STATIC_TOPIC}
    if TF_TOPIC in stamped:
        transforms = (t for payload in series[TF_TOPIC].payloads for t in payload)
        stamped[TF_TOPIC] = all(stamp for _, _, stamp, _ in transforms)
    return stamped


def ee_bag_to_episode(
    bag,
    settings: ConversionSettings,
    name: str | None = None,
    grip: GripperRange | None = None,
    fixed_orientation=None,
) -> BagEpisode:
    """
    One bag -> an in-memory end-effector Episode, nothing written; BagRejected if it cannot be.

    grip: the gripper's range (default: from this bag alone); fixed_orientation: with
    rotation 'none', the orientation the targets must keep (default: their own mean).
    """
    bag = Path(bag)
    series = read_topics(bag, ee_requests(settings))
    measured = _measured(bag, settings, series)
    joints = _joints(bag, settings, series)
    observations = camera_stamps(settings, series)
    observations[POSE] = measured.stamps_ns
    observations.update({key: stamps for key, (stamps, _) in joints.items()})
    targets = None
    if settings.action_from == 'command':
        targets = _targets(bag, settings, series, measured)
    held = (
        {GRIPPER_COMMAND: series[settings.gripper_topic].stamps_ns}
        if settings.gripper_topic
        else {}
    )
    alignment = align(
        observations,
        targets.stamps_ns if targets is not None else np.zeros(0, dtype=np.int64),
        settings.rate_hz,
        settings.action_from,
        POSE,
        settings.max_age_ns,
        held,
    )
    if len(alignment.step_times_ns) == 0:
        last = 'target' if targets is not None else 'ee pose but one'
        raise empty_episode(bag, settings, series, alignment, last)
    aimed = (targets if targets is not None else measured).poses[alignment.action_indices]
    poses, aimed = _signs_fixed(measured.poses[alignment.observation_indices[POSE]], aimed)
    extras = {'ee_pose': poses} | ({'command_pose': aimed} if targets is not None else {})
    if settings.has_gripper and grip is None:
        grip = _range(bag, settings, series, joints)
    state_gripper = action_gripper = raw = None
    if grip is not None:
        state_gripper, action_gripper, raw = _gripper(
            settings, series, alignment, grip, joints, extras
        )
    layout = EePoseLayout(
        measured.frame,
        settings.ee_frame_name,
        settings.rotation,
        'absolute',
        tuple(_fixed_orientation(bag, settings, aimed, fixed_orientation)),
        grip.spec if grip is not None else None,
        settings.state_joints,
    )
    state_joints = None
    if STATE_JOINTS in joints:
        state_joints = joints[STATE_JOINTS][1][alignment.observation_indices[STATE_JOINTS]]
    images, depth = camera_frames(bag, settings, series, alignment)
    start = int(alignment.step_times_ns[0])
    try:
        episode = Episode(
            images=images,
            states=layout.state(poses, state_gripper, state_joints),
            actions=layout.encode(aimed, action_gripper),
            stamps=(alignment.step_times_ns - start) / 1e9,
            name=name or str(bag),
            extras=extras,
        )
    except ValueError as exc:  # NaN joint positions, most likely
        raise BagRejected(bag, f'cannot make an episode: {exc}') from exc
    inputs = _inputs(measured, layout, grip, raw)
    report = episode_report(bag, alignment, series, inputs, _header_stamped(series))
    names = settings.camera_names
    return BagEpisode(episode, names, settings.state_joints, start, report, depth, layout)


class EeConversion:
    """
    The end-effector side of convert_bags: one gripper range and orientation for all bags.

    The gripper's range, when taken from the data, is read from every bag first (only the
    gripper's topic, so it is quick); with rotation 'none' the first bag's mean
    orientation is the dataset's and every later bag is checked against it.
    """

    def __init__(self, settings: ConversionSettings, bags: Sequence[Path]):
        self.settings = settings
        self.grip = None
        if settings.has_gripper and settings.gripper_open is not None:
            self.grip = gripper_range(bags[0], settings, [])
        elif settings.has_gripper:
            self.grip = scan_gripper(bags, settings)
        self.fixed_orientation = None

    def episode(self, bag: Path) -> BagEpisode:
        item = ee_bag_to_episode(bag, self.settings, None, self.grip, self.fixed_orientation)
        if self.settings.rotation == 'none' and self.fixed_orientation is None:
            self.fixed_orientation = item.layout.fixed_orientation
        return item

    def meta(self, first: BagEpisode, cameras: tuple[CameraMeta, ...], source: dict):
        s, layout = self.settings, first.layout
        notes = [self.grip.note()] if self.grip else []
        range_from = None
        if self.grip is not None:
            range_from = 'data' if self.grip.from_data else 'options'
        if not s.ee_frame:
            notes.append(f'ee_frame {layout.ee_frame}: the default; --ee-frame names it')
        source = source | {
            'ee_pose_topic': s.ee_pose_topic,
            'ee_pose_from': 'topic' if s.ee_pose_topic else f'{TF_TOPIC} chain',
            'base_frame': layout.base_frame,
            'ee_frame': layout.ee_frame,
            'rotation': s.rotation,
            'gripper_joint': s.gripper_joint,
            'gripper_topic': s.gripper_topic,
            'gripper_range_from': range_from,
            'notes': notes,
        }
        return DatasetMeta(
            rate_hz=s.rate_hz,
            cameras=cameras,
            state_names=layout.state_names,
            action_names=layout.action_names,
            action_kind='ee_pose',
            source=source,
            ee_layout=layout,
            extras={k: v.shape[1:] for k, v in first.episode.extras.items()},
        )

    def conform(self, bag: Path, item: BagEpisode, first: BagEpisode, first_bag: Path):
        """Return the episode of a later bag; refuse one measured in another frame."""
        frame, expected = item.layout.base_frame, first.layout.base_frame
        if frame != expected:
            raise BagRejected(
                bag,
                f'its poses are in frame {frame!r} where those of the first bag {first_bag} '
                f'are in {expected!r}; convert the bags of one setup together',
            )
        return item.episode
