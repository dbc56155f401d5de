# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Writing a rosbag2 bag laid out as `ros2 bag record` lays it out, with `rosbags`, no ROS.

A bag is a directory `<name>/` holding `metadata.yaml` and one storage file
`<name>.mcap` or `<name>.db3`. Two layouts are offered, one per distro:

- jazzy: metadata version 9, the ROS 2 Jazzy typestore; MCAP (Jazzy's default) or sqlite3.
- humble: metadata version 8, the ROS 2 Humble typestore; sqlite3 (Humble's default) or MCAP.
  rosbags writes versions 8 and 9 only; Humble's reader (rosbag2 0.15) parses metadata
  field by field according to the version and ignores the keys it does not know, and
  version 8 still stores each topic's QoS profiles as a YAML string, as Humble expects.
  Version 9 changed that field to a YAML list, which is why Humble cannot read Jazzy bags.

Every message has two times, as in a real recording: the header stamp (set by whoever
built the message) and the log time (when the recorder received it), which must not go
backwards: a recorder writes messages in the order it receives them.
"""

from __future__ import annotations

from pathlib import Path
import shutil

from rosbags.interfaces import (
    Qos,
    QosDurability,
    QosHistory,
    QosLiveliness,
    QosReliability,
    QosTime,
)
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores

STORAGES = {'mcap': StoragePlugin.MCAP, 'sqlite3': StoragePlugin.SQLITE3}
STORAGE_SUFFIXES = {'mcap': '.mcap', 'sqlite3': '.db3'}
DISTROS = {'jazzy': (Stores.ROS2_JAZZY, 9), 'humble': (Stores.ROS2_HUMBLE, 8)}

# rclcpp's "infinite" duration, as ros2 bag record writes it for unset deadlines and lifespans.
_INFINITE = QosTime(sec=9223372036, nsec=854775807)


def _qos(reliability: QosReliability, depth: int) -> Qos:
    return Qos(
        history=QosHistory.KEEP_LAST,
        depth=depth,
        reliability=reliability,
        durability=QosDurability.VOLATILE,
        deadline=_INFINITE,
        lifespan=_INFINITE,
        liveliness=QosLiveliness.AUTOMATIC,
        liveliness_lease_duration=_INFINITE,
        avoid_ros_namespace_conventions=False,
    )


# What the publishers offer: cameras and joint states use the sensor-data profile (best
# effort, depth 5), controllers take commands reliably. `ros2 bag play` replays with these.
SENSOR_DATA_QOS = _qos(QosReliability.BEST_EFFORT, 5)
RELIABLE_QOS = _qos(QosReliability.RELIABLE, 10)


def typestore_for(distro: str):
    """Return the rosbags typestore holding the message definitions of a ROS 2 distro."""
    if distro not in DISTROS:
        raise ValueError(f'distro must be one of {sorted(DISTROS)}, got {distro!r}')
    return get_typestore(DISTROS[distro][0])


class BagWriter:
    """
    One bag, written message by message.

    Use as a context manager: on an exception the half-written bag directory is removed, so a
    bag that exists is complete.

        with BagWriter(path, storage="mcap", distro="jazzy") as bag:
            bag.add_topic("/joint_states", JOINT_STATE, SENSOR_DATA_QOS)
            bag.write("/joint_states", msg, log_time_ns)
    """

    def __init__(self, path, storage: str = 'mcap', distro: str = 'jazzy'):
        if storage not in STORAGES:
            raise ValueError(f'storage must be one of {sorted(STORAGES)}, got {storage!r}')
        self.path = Path(path)
        self.storage, self.distro = storage, distro
        self.typestore = typestore_for(distro)
        self._writer = Writer(
            self.path, version=DISTROS[distro][1], storage_plugin=STORAGES[storage]
        )
        self._connections: dict[str, object] = {}
        self._types: dict[str, str] = {}
        self._last_log_time = -1
        self._open = False

    def open(self) -> 'BagWriter':  # noqa: A003
        self._writer.open()  # refuses an existing path: a bag is never written over
        self._open = True
        return self

    def add_topic(self, topic: str, msgtype: str, qos: Qos = RELIABLE_QOS) -> None:
        if topic in self._connections:
            raise ValueError(f'{self.path}: topic {topic} was added already')
        self._connections[topic] = self._writer.add_connection(
            topic, msgtype, typestore=self.typestore, offered_qos_profiles=[qos]
        )
        self._types[topic] = msgtype

    def write(self, topic: str, message, log_time_ns: int) -> None:
        """Serialize `message` (a typestore object) to CDR and log it at `log_time_ns`."""
        if topic not in self._connections:
            raise ValueError(f'{self.path}: topic {topic} was not added (add_topic first)')
        log_time_ns = int(log_time_ns)
        if log_time_ns < self._last_log_time:
            raise ValueError(
                f'{self.path}: log time {log_time_ns} ns on {topic} is before the previous '
                f"message's {self._last_log_time} ns; a recorder logs in receive order"
            )
        self._last_log_time = log_time_ns
        raw = self.typestore.serialize_cdr(message, self._types[topic])
        self._writer.write(self._connections[topic], log_time_ns, raw)

    def close(self) -> None:
        if self._open:
            self._open = False
            self._writer.close()

    def discard(self) -> None:
        """Stop writing and remove the bag directory."""
        if self._open:
            self._open = False
            try:
                self._writer.abort()
            finally:
                shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> 'BagWriter':
        return self.open()

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                shutil.rmtree(self.path, ignore_errors=True)
                raise
        else:
            self.discard()
        return False
