# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Why the nodes do not use rclpy's MultiThreadedExecutor: 100 Hz timer jitter per executor.

    python bench/bench_executors.py

One process publishes a 30 Hz 64x64 rgb8 Image and 100 Hz JointState; another node takes
both (each subscription in its own callback group) and ticks at 100 Hz, with the tick in:
  multi          an rclpy timer under MultiThreadedExecutor(6 threads)
  single         an rclpy timer under SingleThreadedExecutor
  thread         a plain thread on absolute deadlines (control/periodic_loop.py's way),
                 subscriptions under SingleThreadedExecutor
  thread+multi   the same thread, subscriptions under MultiThreadedExecutor
Prints |period - 10 ms| p50/p99/max over 500 ticks and the process CPU share.
"""

import array
import subprocess
import sys
import threading
import time

MODES = ('multi', 'single', 'thread', 'thread+multi')


def run_mode(mode: str) -> None:
    import numpy as np
    import rclpy
    from rclpy.callback_groups import MutuallyExclusiveCallbackGroup
    from rclpy.executors import MultiThreadedExecutor, SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image, JointState

    rclpy.init()
    source = rclpy.create_node('bench_source')
    image_pub = source.create_publisher(Image, 'bench_image', qos_profile_sensor_data)
    joint_pub = source.create_publisher(JointState, 'bench_joints', qos_profile_sensor_data)
    image = Image(height=64, width=64, encoding='rgb8', step=192)
    image.data = array.array('B', bytes(64 * 64 * 3))
    source.create_timer(1 / 30, lambda: image_pub.publish(image))
    source.create_timer(
        0.01, lambda: joint_pub.publish(JointState(name=['a', 'b'], position=[0.0, 0.0]))
    )
    source_executor = SingleThreadedExecutor()
    source_executor.add_node(source)
    threading.Thread(target=source_executor.spin, daemon=True).start()

    node = rclpy.create_node('bench_sink')
    ticks = []
    if mode.startswith('thread'):

        def loop():
            due = time.monotonic()
            while len(ticks) < 500:
                due += 0.01
                time.sleep(max(0.0, due - time.monotonic()))
                ticks.append(time.monotonic())

        threading.Thread(target=loop, daemon=True).start()
    else:
        node.create_timer(
            0.01,
            lambda: ticks.append(time.monotonic()),
            callback_group=MutuallyExclusiveCallbackGroup(),
        )
    node.create_subscription(
        Image,
        'bench_image',
        lambda m: np.frombuffer(m.data, np.uint8).sum(),
        qos_profile_sensor_data,
        callback_group=MutuallyExclusiveCallbackGroup(),
    )
    node.create_subscription(
        JointState,
        'bench_joints',
        lambda m: None,
        qos_profile_sensor_data,
        callback_group=MutuallyExclusiveCallbackGroup(),
    )
    executor = (
        MultiThreadedExecutor(num_threads=6) if 'multi' in mode else SingleThreadedExecutor()
    )
    executor.add_node(node)
    cpu0, wall0 = time.process_time(), time.monotonic()
    while len(ticks) < 500:
        executor.spin_once(timeout_sec=0.1)
    cpu = (time.process_time() - cpu0) / (time.monotonic() - wall0)
    deviation = np.abs(np.diff(ticks[50:]) - 0.01) * 1e3
    print(
        f'{mode:13s} jitter p50 {np.percentile(deviation, 50):7.2f}  '
        f'p99 {np.percentile(deviation, 99):8.2f}  '
        f'max {deviation.max():8.2f} ms   process CPU {cpu:.0%}',
        flush=True,
    )
    # Measured; skip rclpy's teardown with threads still spinning (irrelevant to the figure).
    import os

    os._exit(0)


def main() -> int:
    if len(sys.argv) > 1:
        run_mode(sys.argv[1])
        return 0
    for mode in MODES:  # one process per mode: executors do not share a context's threads
        out = subprocess.run(
            [sys.executable, __file__, mode], capture_output=True, text=True, timeout=300
        )
        print(
            next(
                (line for line in out.stdout.splitlines() if 'jitter' in line),
                f'{mode}: failed {out.stderr[-300:]}',
            )
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
