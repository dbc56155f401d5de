# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
camera_node with the OpenCV driver on a real video file, run as its own process.

The file stands in for a webcam (OpenCVCamera plays it at its frame rate); a subscriber in
this process checks what the node publishes, as the policy node would receive it.
"""

import textwrap
import time

from imle_policy_ros.cameras import decode_image, OpenCVCamera, RealSenseCamera
from imle_policy_ros.settings import SettingError
from node_processes import node_processes, output_of
import numpy as np
import pytest

pytest.importorskip('rclpy')

from imle_policy_ros.ros.camera_node import CAMERA_DRIVERS, CameraNodeConfig  # noqa: E402, I100
from imle_policy_ros.ros.node_parameters import parameter_fields  # noqa: E402
from imle_policy_ros.ros.realsense_node import RealSenseNodeConfig  # noqa: E402
from test_opencv_camera import write_video  # noqa: E402

RUNNER = textwrap.dedent("""
    import os
    import sys

    if os.environ.get('GIVE_UP_AFTER_S'):
        import imle_policy_ros.ros.camera_node as node_module

        node_module.GIVE_UP_AFTER_S = float(os.environ['GIVE_UP_AFTER_S'])
    from imle_policy_ros.ros.camera_node import main

    sys.exit(main())
""")

# Frame i of the long video: red counts up, green and blue stay put (JPEG keeps them close).
GREEN, BLUE = 100, 200


# ---- the node's settings and its driver registry, in this process ---------------------------


def test_the_registry_builds_each_driver_from_the_nodes_settings():
    config = CameraNodeConfig(device='/dev/video2', width=0, height=0, fps=15, fourcc='MJPG')
    camera = CAMERA_DRIVERS['opencv'](config)
    assert isinstance(camera, OpenCVCamera) and camera.description == 'OpenCV /dev/video2'
    assert (camera.config.width, camera.config.fps, camera.config.fourcc) == (0, 15, 'MJPG')
    realsense = CAMERA_DRIVERS['realsense'](
        CameraNodeConfig(driver='realsense', serial_no='123', enable_depth=True)
    )
    assert isinstance(realsense, RealSenseCamera) and realsense.has_depth
    assert realsense.config.serial == '123' and not realsense.config.align_depth


def test_bad_settings_are_refused_with_the_choices():
    with pytest.raises(SettingError, match='driver .gige. is not one of realsense, opencv'):
        CameraNodeConfig(driver='gige')
    with pytest.raises(SettingError, match="fourcc 'H264x' must be 4"):
        CameraNodeConfig(fourcc='H264x')


def test_the_realsense_node_keeps_its_parameters_and_defaults_to_the_realsense():
    assert RealSenseNodeConfig().driver == 'realsense' and CameraNodeConfig().driver == 'opencv'
    old = {'serial_no', 'width', 'height', 'fps', 'enable_depth', 'camera_name', 'frame_id'}
    assert old <= set(parameter_fields(RealSenseNodeConfig))
    assert (RealSenseNodeConfig().width, RealSenseNodeConfig().fps) == (640, 30)


# ---- camera_node, in its own process --------------------------------------------------------


@pytest.fixture
def camera_process(tmp_path):
    """
    Start camera_node in its own process.

    camera_process(*ros_args, **env) -> (Popen, domain_id, log file).
    """
    with node_processes(tmp_path, RUNNER) as start:
        yield start


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if '[ERROR]' in line]


@pytest.mark.ros
def test_node_publishes_the_files_frames_as_stamped_rgb8(camera_process, tmp_path):
    import rclpy
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    # 10 s at 30 fps: long enough that the subscriber has matched well before it ends.
    colours = [(i % 256, GREEN, BLUE) for i in range(300)]
    video = write_video(tmp_path / 'webcam.avi', colours=colours, size=(64, 48), fps=30.0)
    process, domain_id, log = camera_process('-p', 'driver:=opencv', '-p', f'device:={video}')
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    received = []
    try:
        listener = rclpy.create_node('camera_test_listener', context=context)
        listener.create_subscription(
            Image,
            '/camera/color/image_raw',
            lambda msg: received.append((time.time(), msg)),
            qos_profile_sensor_data,
        )
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(listener)
        deadline = time.monotonic() + 30
        while len(received) < 15 and time.monotonic() < deadline:
            assert process.poll() is None, f'node exited early:\n{output_of(log)}'
            executor.spin_once(timeout_sec=0.1)
        topics = dict(listener.get_topic_names_and_types())
    finally:
        context.try_shutdown()

    assert len(received) >= 15, f'too few images:\n{output_of(log)}'
    assert topics['/camera/color/image_raw'] == ['sensor_msgs/msg/Image']
    assert '/camera/depth/image_rect_raw' not in topics  # the OpenCV driver gives no depth
    stamps = []
    for arrival, msg in received:
        assert (msg.encoding, msg.height, msg.width) == ('rgb8', 48, 64)
        assert msg.header.frame_id == 'camera_color_optical_frame'
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        assert 0.0 <= arrival - stamp < 0.5  # host time at the grab, before it arrived here
        stamps.append(stamp)
    gaps = np.diff(stamps)
    assert np.all(gaps > 0) and 0.5 / 30 < np.median(gaps) < 2.0 / 30  # played at 30 fps
    rgb = decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data)
    np.testing.assert_allclose(rgb.reshape(-1, 3).mean(axis=0)[1:], (GREEN, BLUE), atol=8)

    output = output_of(log)
    assert f'OpenCV {video}: publishing /camera/color/image_raw' in output
    assert 'first frame, 64x48' in output
    process.send_signal(2)  # Ctrl-C: a clean exit, no traceback
    assert process.wait(timeout=20) == 0
    assert 'Traceback' not in output_of(log)


@pytest.mark.ros
@pytest.mark.parametrize(
    'args,named',
    [
        (('-p', 'device:=/dev/video97'), "'/dev/video97'"),
        (('-p', 'device:=/nonexistent/webcam.avi'), "'/nonexistent/webcam.avi'"),
        (('-p', 'driver:=gige'), "driver 'gige' is not one of realsense, opencv"),
    ],
)
def test_a_bad_device_exits_1_with_one_line_naming_it(camera_process, args, named):
    started = time.monotonic()
    process, _, log = camera_process(*args)
    assert process.wait(timeout=60) == 1
    output = output_of(log)
    errors = error_lines(output)
    assert len(errors) == 1 and named in errors[0] and 'cannot start' in errors[0], output
    assert 'Traceback' not in output
    assert time.monotonic() - started < 30, 'should fail fast, not hang'


@pytest.mark.ros
def test_node_exits_1_when_the_file_ends(camera_process, tmp_path):
    video = write_video(tmp_path / 'short.avi')
    process, _, log = camera_process('-p', f'device:={video}', GIVE_UP_AFTER_S='0.5')
    assert process.wait(timeout=60) == 1
    output = output_of(log)
    errors = error_lines(output)
    assert len(errors) == 1, output
    assert 'no frame for 0.5 s' in errors[0] and 'end of the file after 5 frames' in errors[0]
    assert 'Traceback' not in output
