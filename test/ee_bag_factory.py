# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Synthetic end-effector recordings: Cartesian teleoperation with known poses at known times.

`EeRecording` describes a session of an arm driven by a Cartesian motion controller: the
measured tool pose `ee_pose(t)` at 100 Hz (a PoseStamped topic, or /tf and /tf_static as
robot_state_publisher writes them), PoseStamped targets `ee_pose(t + 0.1)` at 10 Hz, joint
states with a gripper joint that closes from 0.3 s to 0.7 s, a gripper command topic
(Float64MultiArray, dated by log time) and one camera as in bag_factory.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bag_factory import (
    BASE_NS,
    Camera,
    COMMAND_LATENCY_NS,
    IMAGE_LATENCY_NS,
    joint_positions,
    NS,
    STATE_LATENCY_NS,
)
from imle_policy_ros.data import bag_messages as bm
from imle_policy_ros.data.bag_writer import BagWriter, RELIABLE_QOS, SENSOR_DATA_QOS
from imle_policy_ros.data.conversion_settings import ConversionSettings
from imle_policy_ros.runtime import rotations
import numpy as np

POSE_TOPIC = '/cartesian_motion_controller/current_pose'
TARGET_TOPIC = '/cartesian_motion_controller/target_frame'
GRIPPER_TOPIC = '/gripper_controller/commands'
GRIPPER_JOINT = 'finger_joint'
ARM_JOINTS = ('j1', 'j2')
BASE, WRIST, EE, WORLD = 'base_link', 'wrist', 'tool0', 'world'
# Where the tool sits on the wrist, and the arm's base in the world (both static).
WRIST_TO_TOOL = np.r_[0.0, 0.0, 0.15, rotations.from_rotation_vector([0.0, 0.0, 0.3])]
WORLD_TO_BASE = np.r_[1.0, 2.0, 0.5, rotations.from_rotation_vector([0.0, 0.0, np.pi / 2])]
TARGET_LEAD_S = 0.1


def ee_settings(**overrides) -> ConversionSettings:
    """Return the conversion settings that read these recordings (changed by `overrides`)."""
    kw = {
        'image_topics': (Camera().topic,),
        'image_size': (4, 4),
        'ee_pose_topic': POSE_TOPIC,
        'action_topic': TARGET_TOPIC,
        'gripper_joint': GRIPPER_JOINT,
        'gripper_topic': GRIPPER_TOPIC,
    }
    return ConversionSettings(**{**kw, **overrides})


@dataclass
class EeRecording:
    duration_s: float = 1.0
    cameras: list[Camera] = field(default_factory=lambda: [Camera()])
    pose_from: str = 'topic'  # topic | tf
    pose_topic: str = POSE_TOPIC
    pose_frame: str = BASE
    pose_rate_hz: float = 100.0
    turn_rate: float = 0.5  # rad/s about z; 0: a fixed orientation
    wobble_deg: float = 0.0  # an extra turn about x of up to this, back and forth
    flip_signs: bool = False  # every other quaternion negated (the same rotations)
    bad_quaternion_at: int | None = None  # this pose message carries `bad_quaternion`
    bad_quaternion: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)  # an unset Pose
    target_topic: str | None = TARGET_TOPIC
    target_frame: str = BASE
    tool_static: bool = True  # tf: wrist -> tool0 on /tf_static (else on /tf with the arm)
    world_child: str = BASE  # tf: what the static world frame holds (not base_link: apart)
    joint_state_topic: str = '/joint_states'
    gripper_joint: str | None = GRIPPER_JOINT
    gripper_own_message: bool = False  # the gripper's JointState apart from the arm's
    gripper_open: float = 0.04  # as a Franka hand: open is the larger finger position
    gripper_closed: float = 0.0
    gripper_topic: str | None = GRIPPER_TOPIC


def ee_pose(t_s: float, rec: EeRecording = EeRecording()) -> np.ndarray:
    """Return the tool's pose in base_link at t (pointing down, turning about z)."""
    position = [0.4 + 0.1 * t_s, -0.2 * t_s, 0.3 + 0.05 * t_s]
    down = rotations.from_rotation_vector([np.pi, 0.0, 0.0])
    turn = rotations.from_rotation_vector([0.0, 0.0, rec.turn_rate * t_s])
    wobble = np.radians(rec.wobble_deg) * np.sin(2 * np.pi * t_s)
    tilt = rotations.from_rotation_vector([wobble, 0.0, 0.0])
    q = rotations.multiply(turn, rotations.multiply(down, tilt))
    return np.r_[position, rotations.canonical(q)]


def gripper_position(t_s: float, rec: EeRecording = EeRecording()) -> float:
    closing = float(np.clip((t_s - 0.3) / 0.4, 0.0, 1.0))
    return rec.gripper_open + closing * (rec.gripper_closed - rec.gripper_open)


def gripper_command(t_s: float, rec: EeRecording = EeRecording()) -> float:
    return rec.gripper_open if t_s < 0.3 else rec.gripper_closed


def _times(rate_hz: float, end_s: float, start_s: float = 0.0) -> list[int]:
    count = int(np.floor((end_s - start_s) * rate_hz + 1e-9)) + 1
    return [round(start_s * NS) + round(i * NS / rate_hz) for i in range(count)]


def _pose_message_values(t: int, i: int, rec: EeRecording) -> np.ndarray:
    pose = ee_pose(t / NS, rec)
    if rec.flip_signs and i % 2:
        pose[3:] *= -1.0
    if rec.bad_quaternion_at == i:
        pose[3:] = rec.bad_quaternion
    return pose


def write_ee_recording(path, rec: EeRecording = EeRecording(), storage: str = 'mcap') -> Path:
    """Write `rec` as a bag directory at `path`; returns the path."""
    path = Path(path)
    messages = []  # (log ns, order, topic, message)
    with BagWriter(path, storage) as bag:
        ts = bag.typestore
        for cam in rec.cameras:
            bag.add_topic(cam.topic, bm.IMAGE, SENSOR_DATA_QOS)
            for i, t in enumerate(_times(cam.rate_hz, rec.duration_s)):
                msg = bm.image_message(ts, cam.pixels(i), BASE_NS + t, 'cam', cam.encoding)
                messages.append((BASE_NS + t + IMAGE_LATENCY_NS, 1, cam.topic, msg))
        pose_times = _times(rec.pose_rate_hz, rec.duration_s)
        if rec.pose_from == 'topic':
            bag.add_topic(rec.pose_topic, bm.POSE_STAMPED, SENSOR_DATA_QOS)
            for i, t in enumerate(pose_times):
                pose = _pose_message_values(t, i, rec)
                msg = bm.pose_stamped_message(ts, pose, rec.pose_frame, BASE_NS + t)
                messages.append((BASE_NS + t + STATE_LATENCY_NS, 0, rec.pose_topic, msg))
        else:
            messages += _tf_messages(bag, rec, pose_times)
        messages += _joint_state_messages(bag, rec)
        if rec.target_topic:
            bag.add_topic(rec.target_topic, bm.POSE_STAMPED, RELIABLE_QOS)
            for i, t in enumerate(_times(10.0, rec.duration_s - TARGET_LEAD_S)):
                target = ee_pose(t / NS + TARGET_LEAD_S, rec)
                if rec.flip_signs and i % 2:
                    target[3:] *= -1.0
                msg = bm.pose_stamped_message(ts, target, rec.target_frame, BASE_NS + t)
                messages.append((BASE_NS + t + COMMAND_LATENCY_NS, 2, rec.target_topic, msg))
        if rec.gripper_topic:
            bag.add_topic(rec.gripper_topic, bm.FLOAT64_ARRAY, RELIABLE_QOS)
            for t in _times(10.0, rec.duration_s - TARGET_LEAD_S):
                msg = bm.float64_array_message(ts, [gripper_command(t / NS, rec)])
                messages.append((BASE_NS + t + COMMAND_LATENCY_NS, 3, rec.gripper_topic, msg))
        for log, _, topic, msg in sorted(messages, key=lambda m: (m[0], m[1])):
            bag.write(topic, msg, log)
    return path


def _joint_state_messages(bag: BagWriter, rec: EeRecording) -> list:
    ts, topic, out = bag.typestore, rec.joint_state_topic, []
    bag.add_topic(topic, bm.JOINT_STATE, SENSOR_DATA_QOS)
    for t in _times(100.0, rec.duration_s):
        arm = list(joint_positions(t / NS))
        names, values = list(ARM_JOINTS), arm
        grip = [gripper_position(t / NS, rec)] if rec.gripper_joint else []
        messages = [(names, values)]
        if rec.gripper_joint and rec.gripper_own_message:
            messages.append(([rec.gripper_joint], grip))
        elif rec.gripper_joint:
            messages = [(names + [rec.gripper_joint], values + grip)]
        for names, values in messages:
            zero = np.zeros(len(names))
            msg = bm.joint_state_message(ts, names, values, zero, BASE_NS + t)
            out.append((BASE_NS + t + STATE_LATENCY_NS, 0, topic, msg))
    return out


def wrist_pose(t_s: float, rec: EeRecording = EeRecording()) -> np.ndarray:
    """Return the wrist's pose in base_link: the tool's, less the static tool offset."""
    return rotations.compose(ee_pose(t_s, rec), rotations.inverse(WRIST_TO_TOOL))


def _tf_messages(bag: BagWriter, rec: EeRecording, times: list[int]) -> list:
    """robot_state_publisher's output: the moving links on /tf, the fixed on /tf_static."""
    ts, out = bag.typestore, []
    bag.add_topic('/tf', bm.TF_MESSAGE, RELIABLE_QOS)
    bag.add_topic('/tf_static', bm.TF_MESSAGE, RELIABLE_QOS)
    static = [(WORLD, rec.world_child, WORLD_TO_BASE)]
    if rec.tool_static:
        static.append((WRIST, EE, WRIST_TO_TOOL))
    out.append((BASE_NS, -1, '/tf_static', bm.tf_message(ts, static, BASE_NS)))
    for i, t in enumerate(times):
        wrist = wrist_pose(t / NS, rec)
        if rec.flip_signs and i % 2:
            wrist[3:] *= -1.0
        links = [(BASE, WRIST, wrist)] + ([] if rec.tool_static else [(WRIST, EE, WRIST_TO_TOOL)])
        msg = bm.tf_message(ts, links, BASE_NS + t)
        out.append((BASE_NS + t + STATE_LATENCY_NS, 0, '/tf', msg))
    return out
