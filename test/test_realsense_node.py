# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
RealSenseCamera and the realsense_camera node, with a stand-in for pyrealsense2.

No camera (nor pyrealsense2) is needed: FAKE_RS below is a small module with the names the
camera uses. The camera is tested in this process; the node runs as its own process, as it
does on a robot, and a subscriber here checks what it publishes.
"""

import sys
import textwrap
import time
import types

from imle_policy_ros.cameras import (
    CameraUnavailable,
    capture_stamp,
    decode_image,
    DeviceClockSync,
    RealSenseCamera,
    RealSenseConfig,
)
from node_processes import node_processes, output_of
import numpy as np
import pytest

FAKE_RS = textwrap.dedent('''
    """Stand-in for pyrealsense2: a camera that delivers frames at its fps, 3 ms after capture,
    stamped with a device clock that started 42 s before this module was imported."""
    import os
    import time

    import numpy as np

    SERIALS = [s for s in os.environ.get("FAKE_RS_SERIALS", "f1234,f5678").split(",") if s]
    DEVICE_EPOCH = time.monotonic() - 42.0
    LATENCY_S = 0.003
    FRAMES = int(os.environ.get("FAKE_RS_FRAMES", "0"))  # frames before it stalls; 0 = never
    STALL = False  # wait_for_frames times out, as librealsense does (RuntimeError)


    class _Names:
        def __init__(self, **names):
            self.__dict__.update(names)


    stream = _Names(color="color", depth="depth")
    format = _Names(rgb8="rgb8", z16="z16")
    camera_info = _Names(serial_number="serial_number")
    timestamp_domain = _Names(hardware_clock=0, system_time=1, global_time=2)
    DOMAIN = timestamp_domain.hardware_clock


    class _Device:
        def __init__(self, serial):
            self.serial = serial

        def get_info(self, what):
            assert what == camera_info.serial_number
            return self.serial


    class context:
        def query_devices(self):
            return [_Device(serial) for serial in SERIALS]


    class config:
        def __init__(self):
            self.serial, self.streams = None, {}

        def enable_device(self, serial):
            self.serial = serial

        def enable_stream(self, kind, width, height, fmt, fps):
            self.streams[kind] = (width, height, fmt, fps)


    class _Frame:
        def __init__(self, data, stamp_ms, number):
            self.data, self.stamp_ms, self.number = data, stamp_ms, number

        def get_data(self):
            return self.data

        def get_timestamp(self):
            return self.stamp_ms

        def get_frame_number(self):
            return self.number

        def get_frame_timestamp_domain(self):
            return DOMAIN


    class _FrameSet:
        def __init__(self, color, depth):
            self.color, self.depth, self.aligned = color, depth, False

        def get_color_frame(self):
            return self.color

        def get_depth_frame(self):
            return self.depth


    class pipeline:
        def start(self, cfg):
            width, height, fmt, fps = cfg.streams["color"]
            if fps not in (6, 15, 30, 60) or fmt != format.rgb8:
                raise RuntimeError("Couldn't resolve requests")
            self.cfg, self.period, self.number = cfg, 1.0 / fps, 0
            self.next_capture = time.monotonic()

        def wait_for_frames(self, timeout_ms):
            if STALL or (FRAMES and self.number >= FRAMES):
                time.sleep(timeout_ms / 1000.0)
                raise RuntimeError(f"Frame didn't arrive within {timeout_ms}")
            time.sleep(max(0.0, self.next_capture + LATENCY_S - time.monotonic()))
            captured, self.number = self.next_capture, self.number + 1
            self.next_capture = max(captured + self.period, time.monotonic())
            width, height = self.cfg.streams["color"][:2]
            color = np.empty((height, width, 3), np.uint8)
            color[..., 0] = np.arange(width, dtype=np.uint8)[None, :]
            color[..., 1] = np.arange(height, dtype=np.uint8)[:, None]
            color[..., 2] = self.number % 256
            stamp_ms = (captured - DEVICE_EPOCH) * 1000.0
            depth = None
            if "depth" in self.cfg.streams:
                depth = _Frame(np.full((height, width), 1000 + self.number, np.uint16), stamp_ms,
                               self.number)
            return _FrameSet(_Frame(color, stamp_ms, self.number), depth)

        def stop(self):
            self.stopped = True


    class align:
        def __init__(self, to):
            self.to = to

        def process(self, frames):
            frames.aligned = True
            return frames
''')


@pytest.fixture
def fake_rs(monkeypatch):
    module = types.ModuleType('pyrealsense2')
    exec(FAKE_RS, module.__dict__)
    monkeypatch.setitem(sys.modules, 'pyrealsense2', module)
    return module


# ---- RealSenseCamera, in this process ------------------------------------------------------


def test_missing_pyrealsense2_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, 'pyrealsense2', None)  # makes the import fail
    with pytest.raises(CameraUnavailable, match='pyrealsense2 is not installed: pip install'):
        RealSenseCamera().start()


def test_no_camera_and_unknown_serial_list_what_was_found(fake_rs):
    with pytest.raises(CameraUnavailable, match='connected: f1234, f5678'):
        RealSenseCamera(RealSenseConfig(serial='nope')).start()
    fake_rs.SERIALS = []
    with pytest.raises(CameraUnavailable, match='no RealSense camera found'):
        RealSenseCamera().start()


def test_unsupported_mode_is_unavailable(fake_rs):
    with pytest.raises(CameraUnavailable, match=r'cannot stream colour at 64x48 7 fps'):
        RealSenseCamera(RealSenseConfig(width=64, height=48, fps=7)).start()


def test_read_returns_owned_frames_with_device_time(fake_rs):
    camera = RealSenseCamera(
        RealSenseConfig(serial='f5678', width=32, height=24, fps=60, enable_depth=True)
    )
    with pytest.raises(RuntimeError, match='before start'):
        camera.read()
    with camera:
        assert camera.serial == 'f5678' and camera._align is not None
        first, second = camera.read(), camera.read()
    assert first.color_rgb.shape == (24, 32, 3) and first.color_rgb.dtype == np.uint8
    assert first.depth.dtype == np.uint16 and int(first.depth[0, 0]) == 1000 + first.frame_number
    assert second.frame_number == first.frame_number + 1
    assert second.device_time_s - first.device_time_s == pytest.approx(1 / 60, abs=0.01)
    assert first.device_time_s > 42.0 and first.timestamp_domain == 'hardware_clock'
    assert abs(first.host_time_s - time.time()) < 1.0


def test_colour_only_and_timeouts(fake_rs):
    camera = RealSenseCamera(RealSenseConfig(width=8, height=4))
    camera.start()
    assert camera.serial == 'f1234' and camera._align is None
    assert camera.read().depth is None
    fake_rs.STALL = True
    with pytest.raises(TimeoutError, match=r'no frame from RealSense f1234 within 0.5 s'):
        camera.read(timeout_s=0.5)
    camera.stop()
    camera.stop()  # idempotent: the node's shutdown path may call it twice


def test_host_domain_stamps_pass_through(fake_rs):
    fake_rs.DOMAIN = fake_rs.timestamp_domain.system_time
    fake_rs.DEVICE_EPOCH = time.monotonic() - time.time()  # "device" clock = host clock
    with RealSenseCamera(RealSenseConfig(width=8, height=4)) as camera:
        frame = camera.read()
    assert frame.timestamp_domain == 'system_time'
    sync = DeviceClockSync()
    assert capture_stamp(frame, sync) == min(frame.device_time_s, frame.host_time_s)
    assert sync.offset_s is None  # no estimate needed for host-time stamps


# ---- realsense_camera node, in its own process ----------------------------------------------

RUNNER = textwrap.dedent("""
    import os
    import sys

    if os.environ["FAKE_RS_DIR"]:
        sys.path.insert(0, os.environ["FAKE_RS_DIR"])
    else:
        sys.modules["pyrealsense2"] = None  # a robot without pyrealsense2
    if os.environ.get("GIVE_UP_AFTER_S"):
        import imle_policy_ros.ros.camera_node as node_module  # the grab loop reads it there

        node_module.GIVE_UP_AFTER_S = float(os.environ["GIVE_UP_AFTER_S"])
    from imle_policy_ros.ros.realsense_node import main

    sys.exit(main())
""")


@pytest.fixture
def node_process(tmp_path):
    """
    Start the node in its own process.

    node_process(fake, *ros_args, serials=..., **env) -> (Popen, domain_id, log file).
    """
    pytest.importorskip('rclpy')
    (tmp_path / 'fake').mkdir()
    (tmp_path / 'fake' / 'pyrealsense2.py').write_text(FAKE_RS)
    with node_processes(tmp_path, RUNNER) as start:

        def start_with_fake(fake: bool, *ros_args: str, serials: str = 'f1234', **env: str):
            fake_dir = str(tmp_path / 'fake') if fake else ''
            return start(*ros_args, FAKE_RS_SERIALS=serials, FAKE_RS_DIR=fake_dir, **env)

        yield start_with_fake


@pytest.mark.ros
@pytest.mark.parametrize(
    'fake,args,serials,message',
    [
        (False, (), '', 'pyrealsense2 is not installed: pip install pyrealsense2'),
        (True, (), '', 'no RealSense camera found'),
        (True, ('-p', 'serial_no:=nope'), 'f1234,f5678', 'connected: f1234, f5678'),
    ],
)
def test_node_without_camera_exits_1_with_one_clear_line(
    node_process, fake, args, serials, message
):
    started = time.monotonic()
    process, _, log = node_process(fake, *args, serials=serials)
    assert process.wait(timeout=60) == 1
    output = output_of(log)
    assert message in output and '[ERROR]' in output
    assert 'Traceback' not in output
    assert time.monotonic() - started < 20, 'should fail fast, not hang'


@pytest.mark.ros
def test_node_publishes_stamped_images(node_process):
    rclpy = pytest.importorskip('rclpy')
    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    process, domain_id, log = node_process(
        True, '-p', 'width:=64', '-p', 'height:=48', '-p', 'enable_depth:=true'
    )
    context = rclpy.Context()
    rclpy.init(context=context, domain_id=domain_id)
    received = {'color': [], 'depth': []}
    try:
        listener = rclpy.create_node('realsense_test_listener', context=context)
        for kind, topic in (('color', 'color/image_raw'), ('depth', 'depth/image_rect_raw')):
            listener.create_subscription(
                Image,
                f'/realsense_camera/{topic}',
                lambda msg, kind=kind: received[kind].append((time.time(), msg)),
                qos_profile_sensor_data,
            )
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(listener)
        deadline = time.monotonic() + 30
        while min(len(v) for v in received.values()) < 10 and time.monotonic() < deadline:
            assert process.poll() is None, f'node exited early:\n{output_of(log)}'
            executor.spin_once(timeout_sec=0.1)
    finally:
        context.try_shutdown()

    assert len(received['color']) >= 10, f'too few images:\n{output_of(log)}'
    assert len(received['depth']) >= 10
    for arrival, msg in received['color']:
        assert (msg.encoding, msg.height, msg.width) == ('rgb8', 48, 64)
        assert msg.header.frame_id == 'camera_color_optical_frame'
        stamp = msg.header.stamp.sec + msg.header.stamp.nanosec * 1e-9
        assert 0.0 <= arrival - stamp < 0.5  # a capture time, before it arrived here
    arrival, msg = received['color'][-1]
    rgb = decode_image(msg.encoding, msg.height, msg.width, msg.step, msg.data)
    np.testing.assert_array_equal(rgb[0, :, 0], np.arange(64))  # the fake's column ramp
    np.testing.assert_array_equal(rgb[:, 0, 1], np.arange(48))
    _, depth = received['depth'][-1]
    assert (depth.encoding, depth.header.frame_id) == ('16UC1', 'camera_depth_optical_frame')
    assert (
        decode_image(depth.encoding, depth.height, depth.width, depth.step, depth.data).min()
        > 1000
    )

    process.send_signal(2)  # Ctrl-C: a clean exit, no traceback
    assert process.wait(timeout=20) == 0
    assert 'Traceback' not in output_of(log)


@pytest.mark.ros
def test_node_exits_1_when_the_camera_stops_delivering(node_process):
    process, _, log = node_process(
        True, '-p', 'width:=16', '-p', 'height:=8', FAKE_RS_FRAMES='5', GIVE_UP_AFTER_S='0.5'
    )
    assert process.wait(timeout=60) == 1
    output = output_of(log)
    assert 'no frame for 0.5 s' in output and '[ERROR]' in output
    assert 'Traceback' not in output
