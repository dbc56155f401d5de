# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
camera_node (`/camera`): any camera of cameras/ as sensor_msgs/Image.

    ros2 run imle_policy_ros camera_node --ros-args -p driver:=opencv -p device:=/dev/video2
    ros2 run imle_policy_ros camera_node --ros-args -p driver:=realsense -p enable_depth:=true

Publishes colour on ~/color/image_raw (rgb8) and, for a driver that gives depth, depth on
~/depth/image_rect_raw (16UC1, millimetres), both with sensor-data QoS: a policy wants the
newest frame, never a queue of old ones. Stamps are capture times on the host clock
(cameras/frame.py: capture_stamp), which the policy uses to time its actions.

The camera is a CameraDriver (cameras/driver.py) built by CAMERA_DRIVERS from the node's
parameters; another camera is a driver class and one line there. Frames are read in a
thread of their own because the camera paces them: a blocking read returns when the next
one is ready, so a timer would only add its own jitter on top. realsense_node.py is this
node named `realsense_camera`, with the RealSense as its default driver.
"""

from __future__ import annotations

from dataclasses import dataclass
import threading
import time
from typing import Callable

import rclpy
from rclpy.node import Node
from rclpy.qos import qos_profile_sensor_data
from sensor_msgs.msg import Image

from . import messages
from .node_parameters import declare_settings
from ..cameras.device_clock import DeviceClockSync
from ..cameras.driver import CameraDriver
from ..cameras.frame import CameraFrame, capture_stamp
from ..cameras.opencv_camera import check_fourcc, OpenCVCamera, OpenCVConfig
from ..cameras.realsense import RealSenseCamera, RealSenseConfig
from ..settings import check_settings, setting

READ_TIMEOUT_S = 1.0
# A camera that stops delivering is not reopened here (librealsense does not recover an
# unplugged camera): after this long without a frame the node exits 1, so a launch file's
# respawn can open it afresh.
GIVE_UP_AFTER_S = 10.0


def _realsense(config: CameraNodeConfig) -> CameraDriver:
    # Depth stays in the depth camera's own pixels (align_depth=False): that is what
    # image_rect_raw in depth_optical_frame means in realsense2_camera's conventions.
    return RealSenseCamera(
        RealSenseConfig(
            serial=config.serial_no,
            width=config.width,
            height=config.height,
            fps=config.fps,
            enable_depth=config.enable_depth,
            align_depth=False,
        )
    )


def _opencv(config: CameraNodeConfig) -> CameraDriver:
    return OpenCVCamera(
        OpenCVConfig(
            device=config.device,
            width=config.width,
            height=config.height,
            fps=config.fps,
            fourcc=config.fourcc,
        )
    )


# driver parameter -> how to build that camera from the node's settings
CAMERA_DRIVERS: dict[str, Callable[[CameraNodeConfig], CameraDriver]] = {
    'realsense': _realsense,
    'opencv': _opencv,
}


@dataclass(frozen=True)
class CameraNodeConfig:
    driver: str = setting(
        'opencv', 'the camera: realsense (pyrealsense2) or opencv', choices=tuple(CAMERA_DRIVERS)
    )
    width: int = setting(
        640, "frame width to ask for (0 = the camera's own choice)", min=0, max=16384
    )
    height: int = setting(
        480, "frame height to ask for (0 = the camera's own choice)", min=0, max=16384
    )
    fps: int = setting(
        30, "frames per second to ask for; a file's playback rate (0 = its own)", min=0, max=1000
    )
    serial_no: str = setting('', 'realsense: serial number of the camera; empty = the first')
    enable_depth: bool = setting(False, 'realsense: also publish depth on ~/depth/image_rect_raw')
    device: str = setting(
        '0', 'opencv: a V4L2 index (0), a device path (/dev/video2), or a video file or URL'
    )
    fourcc: str = setting(
        '',
        "opencv: pixel format to ask for, e.g. MJPG (empty = the device's default)",
        check=check_fourcc,
    )
    camera_name: str = setting('camera', 'the depth frame id is <camera_name>_depth_optical_frame')
    frame_id: str = setting('camera_color_optical_frame', 'frame id of the colour images')

    def __post_init__(self) -> None:
        check_settings(self)


class CameraNode(Node):
    """
    Publish one camera's frames until it stops delivering.

    Opens the camera when built (CameraUnavailable, a one-line refusal, if it cannot:
    nothing is left running) and closes it in destroy_node, so `imle-policy-ros run` can
    host it too.
    """

    config_type: type = CameraNodeConfig

    def __init__(self, node_name: str = 'camera', **kwargs):
        super().__init__(node_name, **kwargs)
        try:
            self.config = config = declare_settings(self, self.config_type)
            self.camera: CameraDriver = CAMERA_DRIVERS[config.driver](config)
            self.camera.start()  # CameraUnavailable says why and what to do
        except BaseException:
            super().destroy_node()
            raise
        self.depth_frame_id = f'{config.camera_name}_depth_optical_frame'
        self.clock_sync = DeviceClockSync()
        self.color_pub = self.create_publisher(Image, '~/color/image_raw', qos_profile_sensor_data)
        self.depth_pub = (
            self.create_publisher(Image, '~/depth/image_rect_raw', qos_profile_sensor_data)
            if self.camera.has_depth
            else None
        )
        self.get_logger().info(
            f'{self.camera.description}: publishing {self.color_pub.topic_name}'
            f'{f" and {self.depth_pub.topic_name}" if self.depth_pub else ""}'
        )
        self.failure: str | None = None  # why the camera stopped for good, if it did
        self._first_frame = True
        self._stop = threading.Event()
        self._grab_thread = threading.Thread(
            target=self._grab_loop, name=f'{node_name}_grab', daemon=True
        )
        self._grab_thread.start()

    def destroy_node(self):
        self._stop.set()
        if self._grab_thread.is_alive():
            self._grab_thread.join(timeout=READ_TIMEOUT_S + 1.0)
        self.camera.stop()
        return super().destroy_node()

    def _grab_loop(self) -> None:
        last_frame = time.monotonic()
        while not self._stop.is_set():
            try:
                self._publish(self.camera.read(READ_TIMEOUT_S))
                last_frame = time.monotonic()
            except TimeoutError as exc:
                if time.monotonic() - last_frame > GIVE_UP_AFTER_S:
                    self._give_up(
                        f'no frame for {GIVE_UP_AFTER_S:g} s ({exc}); check the cable and USB port'
                    )
                    return
                self.get_logger().warning(str(exc), throttle_duration_sec=5.0)
            except Exception as exc:
                if self.context.ok():  # not just ROS shutting down under us (Ctrl-C)
                    self._give_up(f'camera stopped: {exc}')
                return

    def _give_up(self, reason: str) -> None:
        # Stop the whole process (exit 1) rather than leave a policy waiting for images.
        self.failure = reason
        self.get_logger().error(reason)
        rclpy.try_shutdown(context=self.context)

    def _publish(self, frame: CameraFrame) -> None:
        stamp = messages.seconds_to_stamp(capture_stamp(frame, self.clock_sync))
        self.color_pub.publish(messages.rgb_to_image(frame.color_rgb, stamp, self.config.frame_id))
        if self.depth_pub is not None and frame.depth is not None:
            self.depth_pub.publish(
                messages.depth_to_image(frame.depth, stamp, self.depth_frame_id)
            )
        if self._first_frame:
            self._first_frame = False
            height, width = frame.color_rgb.shape[:2]
            self.get_logger().info(f'{self.camera.description}: first frame, {width}x{height}')


def run_camera_node(make_node: Callable[[], CameraNode], args=None) -> int:
    """
    Spin one camera node until Ctrl-C, shutdown or the camera's end.

    Returns the exit status: 0 after Ctrl-C or shutdown, 1 when the camera cannot start
    or stops delivering.
    """
    from .spin import spin_nodes  # one line and exit 1 for start-up errors, clean shutdown

    nodes: list[CameraNode] = []

    def make_nodes():
        nodes.append(make_node())
        return nodes

    status = spin_nodes(make_nodes, args)
    return 1 if nodes and nodes[0].failure else status


def main(args=None) -> int:
    """Run camera_node; exit status 1 when the camera cannot start or dies."""
    return run_camera_node(CameraNode, args)


if __name__ == '__main__':
    import sys

    sys.exit(main())
