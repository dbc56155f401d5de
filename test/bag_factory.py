# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Small synthetic rosbag2 recordings for the bag tests, with known content at known times.

`Recording` describes a teleop session of a 2-joint arm: joint states q(t) = [t, -2t]
(t in seconds since the start), commands to q(t + 0.1) at 10 Hz, and cameras whose
frame i is a uniform image of value `frame_value(i)`, so a test can tell from a
converted step which frame and which command it got. Everything is stamped in integer
ns from BASE_NS; log times are the stamps plus a receive latency (larger for images,
as for a real camera), and messages are written in log order, as a recorder would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imle_policy_ros.data import bag_messages as bm
from imle_policy_ros.data.bag_writer import BagWriter, RELIABLE_QOS, SENSOR_DATA_QOS
import numpy as np

BASE_NS = 1_000_000_000_000
NS = 1_000_000_000
JOINTS = ('j1', 'j2')
IMAGE_LATENCY_NS = 30_000_000  # deliberately large: header stamps must win over log times
STATE_LATENCY_NS = 2_000_000
COMMAND_LATENCY_NS = 3_000_000


def frame_value(i: int) -> int:
    return (7 * i + 5) % 250


def joint_positions(t_s: float) -> np.ndarray:
    return np.array([t_s, -2.0 * t_s])


@dataclass
class Camera:
    topic: str = '/camera/top/image_raw'
    rate_hz: float = 30.0
    encoding: str = (
        'rgb8'  # rgb8 | bgr8 | mono8 | 16UC1 | jpeg | png | anything else = raw, unpackable
    )
    size: int = 8
    start_s: float = 0.0
    skip: tuple[float, float] | None = None  # no frames strictly inside (a, b) seconds

    def pixels(self, i: int):
        v = frame_value(i)
        if self.encoding == 'mono8':
            return np.full((self.size, self.size), v, np.uint8)
        if self.encoding == '16UC1':
            return np.full((self.size, self.size), 10 * v, np.uint16)  # mm
        return np.full((self.size, self.size, 3), (v, 255 - v, 100), np.uint8)


@dataclass
class Recording:
    duration_s: float = 1.0
    cameras: list[Camera] = field(default_factory=lambda: [Camera()])
    joint_state_topic: str = '/joint_states'
    joint_state_rate_hz: float = 100.0
    joint_names: tuple[str, ...] = JOINTS
    command_topic: str | None = '/joint_trajectory_controller/joint_trajectory'
    command_type: str = 'trajectory'  # trajectory | float64
    command_joint_order: tuple[str, ...] = (
        'j2',
        'j1',
    )  # not the state's: the converter must reorder
    command_stamped: bool = True  # False: header stamp left at zero
    command_start_s: float = 0.0
    command_end_s: float | None = None  # default: duration - 0.1


def _times(rate_hz: float, start_s: float, end_s: float) -> list[int]:
    out, i = [], 0
    while True:
        t = round(start_s * NS) + round(i * NS / rate_hz)
        if t > round(end_s * NS):
            return out
        out.append(t)
        i += 1


def write_recording(
    path, rec: Recording = Recording(), storage: str = 'mcap', distro: str = 'jazzy'
) -> Path:
    """Write `rec` as a bag directory at `path`; returns the path."""
    path = Path(path)
    messages = []  # (log ns, order, topic, message)
    with BagWriter(path, storage, distro) as bag:
        ts = bag.typestore
        for cam in rec.cameras:
            compressed = cam.encoding in ('jpeg', 'png')
            bag.add_topic(
                cam.topic, bm.COMPRESSED_IMAGE if compressed else bm.IMAGE, SENSOR_DATA_QOS
            )
            for i, t in enumerate(_times(cam.rate_hz, cam.start_s, rec.duration_s)):
                if cam.skip and cam.skip[0] * NS < t < cam.skip[1] * NS:
                    continue
                stamp = BASE_NS + t
                if compressed:
                    msg = bm.compressed_image_message(
                        ts, cam.pixels(i), stamp, 'cam', cam.encoding, quality=95
                    )
                elif cam.encoding in ('rgb8', 'bgr8', 'mono8', '16UC1'):
                    msg = bm.image_message(ts, cam.pixels(i), stamp, 'cam', cam.encoding)
                else:
                    msg = raw_image(ts, cam.encoding, cam.size, stamp)
                messages.append((stamp + IMAGE_LATENCY_NS, 1, cam.topic, msg))
        bag.add_topic(rec.joint_state_topic, bm.JOINT_STATE, SENSOR_DATA_QOS)
        for t in _times(rec.joint_state_rate_hz, 0.0, rec.duration_s):
            q = dict(zip(JOINTS, joint_positions(t / NS)))
            msg = bm.joint_state_message(
                ts,
                rec.joint_names,
                [q.get(j, 0.0) for j in rec.joint_names],
                np.zeros(len(rec.joint_names)),
                BASE_NS + t,
            )
            messages.append((BASE_NS + t + STATE_LATENCY_NS, 0, rec.joint_state_topic, msg))
        if rec.command_topic:
            float64 = rec.command_type == 'float64'
            bag.add_topic(
                rec.command_topic,
                bm.FLOAT64_ARRAY if float64 else bm.JOINT_TRAJECTORY,
                RELIABLE_QOS,
            )
            end = rec.duration_s - 0.1 if rec.command_end_s is None else rec.command_end_s
            for t in _times(10.0, rec.command_start_s, end):
                target = dict(zip(JOINTS, joint_positions(t / NS + 0.1)))
                if float64:
                    msg = bm.float64_array_message(ts, [target[j] for j in rec.joint_names])
                else:
                    order = rec.command_joint_order
                    msg = bm.joint_trajectory_message(
                        ts,
                        order,
                        [target.get(j, 0.0) for j in order],
                        NS // 10,
                        BASE_NS + t if rec.command_stamped else 0,
                    )
                messages.append((BASE_NS + t + COMMAND_LATENCY_NS, 2, rec.command_topic, msg))
        for log, _, topic, msg in sorted(messages, key=lambda m: (m[0], m[1])):
            bag.write(topic, msg, log)
    return path


def raw_image(ts, encoding: str, size: int, stamp_ns: int):
    """Make an Image with an encoding the codec does not know (bytes as for 2 bytes per pixel)."""
    header = ts.types['std_msgs/msg/Header'](
        stamp=ts.types['builtin_interfaces/msg/Time'](sec=stamp_ns // NS, nanosec=stamp_ns % NS),
        frame_id='cam',
    )
    return ts.types[bm.IMAGE](
        header=header,
        height=size,
        width=size,
        encoding=encoding,
        is_bigendian=0,
        step=2 * size,
        data=np.zeros(2 * size * size, np.uint8),
    )


def storage_file(bag: Path) -> Path:
    return next(p for p in Path(bag).iterdir() if p.suffix in ('.mcap', '.db3'))
