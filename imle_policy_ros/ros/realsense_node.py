# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
realsense_camera: an Intel RealSense camera as sensor_msgs/Image.

    ros2 run imle_policy_ros realsense_node --ros-args -p serial_no:=123456789 -p fps:=30

Publishes colour on ~/color/image_raw (rgb8) and, with enable_depth, depth on
~/depth/image_rect_raw (16UC1, millimetres on D400 cameras), both with sensor-data QoS:
a policy wants the newest frame, never a queue of old ones. Stamps are capture times on
the host clock (see cameras/device_clock.py), which the policy uses to time its actions.

All the work is in imle_policy_ros.cameras; this file only wires it to ROS. Frames are
read in a thread of their own because RealSense paces them: a blocking read returns when
the next one is ready, so a timer would only add its own jitter on top.
"""

import array
import threading
import time

from imle_policy_ros.cameras import (
    capture_stamp,
    DeviceClockSync,
    encode_image,
    RealSenseCamera,
    RealSenseConfig,
)
import rclpy
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from rclpy.time import Time
from sensor_msgs.msg import Image

READ_TIMEOUT_S = 1.0
# librealsense does not recover an unplugged camera: after this long without a frame the
# node exits 1, so a launch file's respawn can open it afresh.
GIVE_UP_AFTER_S = 10.0


class RealSenseNode(Node):
    """
    Opens the camera when built (CameraUnavailable if it cannot: nothing is left
    running) and closes it in destroy_node, so `imle-policy-ros run` can host it too.
    """

    def __init__(self, **kwargs):
        super().__init__('realsense_camera', **kwargs)
        serial = self.declare_parameter('serial_no', '').value
        width = self.declare_parameter('width', 640).value
        height = self.declare_parameter('height', 480).value
        fps = self.declare_parameter('fps', 30).value
        enable_depth = self.declare_parameter('enable_depth', False).value
        camera_name = self.declare_parameter('camera_name', 'camera').value
        self.frame_id = self.declare_parameter('frame_id', 'camera_color_optical_frame').value
        self.depth_frame_id = f'{camera_name}_depth_optical_frame'

        # Depth stays in the depth camera's own pixels (align_depth=False): that is what
        # image_rect_raw in depth_optical_frame means in realsense2_camera's conventions.
        self.camera = RealSenseCamera(
            RealSenseConfig(
                serial=serial,
                width=width,
                height=height,
                fps=fps,
                enable_depth=enable_depth,
                align_depth=False,
            )
        )
        try:
            self.camera.start()  # CameraUnavailable says why and what to do
        except Exception:
            super().destroy_node()
            raise
        self.get_logger().info(
            f'RealSense {self.camera.serial}: {width}x{height} @ {fps} fps'
            f'{" with depth" if enable_depth else ""}'
        )

        self.clock_sync = DeviceClockSync()
        self.color_pub = self.create_publisher(Image, '~/color/image_raw', qos_profile_sensor_data)
        self.depth_pub = (
            self.create_publisher(Image, '~/depth/image_rect_raw', qos_profile_sensor_data)
            if enable_depth
            else None
        )
        self.failure = None  # why the camera stopped for good, if it did
        self._stop = threading.Event()
        self._grab_thread = threading.Thread(
            target=self._grab_loop, name='realsense_grab', daemon=True
        )
        self._grab_thread.start()

    def destroy_node(self):
        self._stop.set()
        if self._grab_thread.is_alive():
            self._grab_thread.join(timeout=READ_TIMEOUT_S + 1.0)
        self.camera.stop()
        return super().destroy_node()

    def _grab_loop(self):
        last_frame = time.monotonic()
        while not self._stop.is_set():
            try:
                self._publish(self.camera.read(READ_TIMEOUT_S))
                last_frame = time.monotonic()
            except TimeoutError as exc:
                if time.monotonic() - last_frame > GIVE_UP_AFTER_S:
                    return self._give_up(
                        f'no frame for {GIVE_UP_AFTER_S:g} s ({exc}); check the cable and USB port'
                    )
                self.get_logger().warning(str(exc), throttle_duration_sec=5.0)
            except Exception as exc:
                if self.context.ok():  # not just ROS shutting down under us (Ctrl-C)
                    self._give_up(f'camera stopped: {exc}')
                return

    def _give_up(self, reason):
        # Stop the whole process (exit 1) rather than leave a policy waiting for images.
        self.failure = reason
        self.get_logger().error(reason)
        rclpy.try_shutdown(context=self.context)

    def _publish(self, frame):
        stamp = Time(nanoseconds=round(capture_stamp(frame, self.clock_sync) * 1e9)).to_msg()
        self.color_pub.publish(self._image(frame.color_rgb, 'rgb8', stamp, self.frame_id))
        if self.depth_pub is not None and frame.depth is not None:
            self.depth_pub.publish(self._image(frame.depth, '16UC1', stamp, self.depth_frame_id))

    @staticmethod
    def _image(pixels, encoding, stamp, frame_id):
        raw = encode_image(pixels, encoding)
        msg = Image()
        msg.header.stamp = stamp
        msg.header.frame_id = frame_id
        msg.height, msg.width, msg.step = raw.height, raw.width, raw.step
        msg.encoding = raw.encoding
        msg.is_bigendian = raw.is_bigendian
        msg.data = array.array('B', raw.data)  # rclpy's fast path for uint8[]
        return msg


def main(args=None) -> int:
    """Exit status: 0 after Ctrl-C or shutdown, 1 when the camera cannot start or dies."""
    from .spin import spin_nodes  # one line and exit 1 for start-up errors, clean shutdown

    nodes = []

    def make_nodes():
        nodes.append(RealSenseNode())
        return nodes

    status = spin_nodes(make_nodes, args)
    return 1 if nodes and nodes[0].failure else status


if __name__ == '__main__':
    import sys

    sys.exit(main())
