# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A small stand-in for `ros2 bag record` (rosbag2 is not installable from pip).

It subscribes to topics with serialized (raw) subscriptions and writes the CDR bytes as
they arrive into a rosbag2 bag with `rosbags`, receive time as log time, as rosbag2 does.

Tests use it to record what the live nodes publish; run as
`python test/bag_recorder.py bag record -s mcap -o DIR --topics T ...` it takes the
arguments `record_demos.launch.py` gives `ros2`, so a `ros2` shim on PATH pointing here
lets that launch file run for real where rosbag2 is missing. SIGINT/SIGTERM finish the bag.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
import time

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import qos_profile_sensor_data
from rclpy.signals import SignalHandlerOptions
from rosbags.rosbag2 import StoragePlugin, Writer
from rosbags.typesys import get_typestore, Stores


def message_class(type_name: str):
    package, _, name = type_name.split('/')
    return getattr(importlib.import_module(f'{package}.msg'), name)


class BagRecorder:
    """
    Records `topics` into the bag at `path` until close().

    Topics are subscribed as they are discovered, so publishers may start later than the
    recorder.
    """

    def __init__(self, path: str, topics: list[str], storage: str = 'mcap', context=None):
        self.topics = list(topics)
        self.node = rclpy.create_node('bag_recorder', context=context)
        self.typestore = get_typestore(Stores.ROS2_JAZZY)
        plugin = StoragePlugin.MCAP if storage == 'mcap' else StoragePlugin.SQLITE3
        self.writer = Writer(path, version=9, storage_plugin=plugin)
        self.writer.open()
        self.lock = threading.Lock()
        self.connections = {}
        self.counts = dict.fromkeys(self.topics, 0)
        self.node.create_timer(0.1, self._discover)

    def _discover(self) -> None:
        for topic, types in self.node.get_topic_names_and_types():
            if topic in self.topics and topic not in self.connections:
                with self.lock:
                    self.connections[topic] = self.writer.add_connection(
                        topic, types[0], typestore=self.typestore
                    )
                self.node.create_subscription(
                    message_class(types[0]),
                    topic,
                    lambda raw, t=topic: self._write(t, raw),
                    qos_profile_sensor_data,
                    raw=True,
                )

    def _write(self, topic: str, raw: bytes) -> None:
        with self.lock:
            if self.writer is not None:
                self.writer.write(self.connections[topic], time.time_ns(), raw)
                self.counts[topic] += 1

    def close(self) -> None:
        with self.lock:
            writer, self.writer = self.writer, None
        if writer is not None:
            writer.close()
        self.node.destroy_node()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='ros2 bag record, the parts record_demos.launch.py uses'
    )
    parser.add_argument('bag', choices=['bag'])
    parser.add_argument('record', choices=['record'])
    parser.add_argument('-s', '--storage', default='mcap', choices=['mcap', 'sqlite3'])
    parser.add_argument('-o', '--output', required=True)
    parser.add_argument('--topics', nargs='+', default=[])
    parser.add_argument('positional_topics', nargs='*')
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
    recorder = BagRecorder(args.output, args.topics + args.positional_topics, args.storage)
    executor = SingleThreadedExecutor()
    executor.add_node(recorder.node)
    thread = threading.Thread(target=executor.spin, daemon=True)
    thread.start()
    stop.wait()
    rclpy.try_shutdown()
    executor.shutdown(timeout_sec=1.0)
    thread.join(timeout=5.0)
    recorder.close()
    print(f'bag_recorder: {args.output}: {recorder.counts}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
