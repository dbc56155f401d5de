# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
OpenCVCamera on a real video file, and the refusals for a device that is not there.

The file is written here with cv2.VideoWriter (MJPG in AVI, which every OpenCV build
reads and writes), so the frames go through the same decoder a recording would.
"""

import time

import cv2
from imle_policy_ros.cameras import (
    CameraDriver,
    CameraUnavailable,
    capture_stamp,
    DeviceClockSync,
    OpenCVCamera,
    OpenCVConfig,
    RealSenseCamera,
)
from imle_policy_ros.settings import SettingError
import numpy as np
import pytest

# RGB colours of the frames, in order; solid colours survive JPEG within a few levels.
COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (40, 120, 200))
WIDTH, HEIGHT, FPS = 64, 48, 30.0


def write_video(path, colours=COLOURS, size=(WIDTH, HEIGHT), fps=FPS) -> str:
    """Write one solid frame per colour (RGB) to an MJPG .avi; return its path."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), fps, size)
    assert writer.isOpened(), 'this OpenCV cannot write MJPG .avi files'
    for rgb in colours:
        writer.write(np.full((size[1], size[0], 3), rgb[::-1], np.uint8))  # files hold BGR
    writer.release()
    return str(path)


@pytest.fixture
def video(tmp_path):
    return write_video(tmp_path / 'colours.avi')


def test_both_drivers_are_camera_drivers(video):
    camera = OpenCVCamera(OpenCVConfig(device=video))
    assert isinstance(camera, CameraDriver) and isinstance(RealSenseCamera(), CameraDriver)
    assert camera.description == f'OpenCV {video}' and not camera.has_depth


def test_a_v4l2_index_is_opened_through_v4l2_with_the_mode_asked_for(monkeypatch):
    class FakeCapture:
        """cv2.VideoCapture of a webcam that delivers three BGR frames, then nothing."""

        def __init__(self, source, api):
            self.source, self.api, self.props, self.frames = source, api, [], 3
            opened.append(self)

        def isOpened(self):  # noqa: N802 - OpenCV's name
            return True

        def set(self, prop, value):  # noqa: A003 - OpenCV's name
            self.props.append((prop, value))
            return True

        def get(self, prop):
            return 30.0

        def grab(self):
            self.frames -= 1
            return self.frames >= 0

        def retrieve(self):
            return True, np.full((4, 6, 3), (1, 2, 3), np.uint8)

        def release(self):
            self.released = True

    opened = []
    monkeypatch.setattr('sys.platform', 'linux')
    monkeypatch.setattr('imle_policy_ros.cameras.opencv_camera._missing', lambda device: None)
    monkeypatch.setattr(cv2, 'VideoCapture', FakeCapture)
    config = OpenCVConfig(device='2', width=1280, height=720, fps=60, fourcc='MJPG')
    camera = OpenCVCamera(config)
    assert camera.description == 'OpenCV /dev/video2'
    camera.start()
    (capture,) = opened
    assert (capture.source, capture.api) == (2, cv2.CAP_V4L2)
    assert capture.props == [  # the pixel format first: V4L2 lists sizes per format
        (cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*'MJPG')),
        (cv2.CAP_PROP_FRAME_WIDTH, 1280),
        (cv2.CAP_PROP_FRAME_HEIGHT, 720),
        (cv2.CAP_PROP_FPS, 60),
    ]
    frames = [camera.read(), camera.read(), camera.read()]
    assert [f.frame_number for f in frames] == [0, 1, 2]  # the first is the one start() read
    np.testing.assert_array_equal(frames[0].color_rgb[0, 0], (3, 2, 1))  # BGR -> RGB
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=r'OpenCV /dev/video2: no frame \(the device stopped'):
        camera.read(timeout_s=0.2)
    assert time.monotonic() - started >= 0.15  # no busy loop for a caller that retries
    camera.stop()
    assert capture.released


def test_frames_are_rgb_in_order_with_host_stamps(video):
    before = time.time()
    with OpenCVCamera(OpenCVConfig(device=video)) as camera:
        frames = [camera.read() for _ in COLOURS]
    after = time.time()
    for number, (frame, rgb) in enumerate(zip(frames, COLOURS)):
        assert frame.color_rgb.shape == (HEIGHT, WIDTH, 3) and frame.color_rgb.dtype == np.uint8
        assert frame.color_rgb.flags.c_contiguous and frame.color_rgb.flags.owndata
        np.testing.assert_allclose(frame.color_rgb.mean(axis=(0, 1)), rgb, atol=8)
        assert frame.depth is None and frame.frame_number == number
        assert frame.timestamp_domain == 'system_time'
        assert frame.device_time_s == frame.host_time_s
        assert before <= frame.host_time_s <= after
    stamps = [capture_stamp(frame, DeviceClockSync()) for frame in frames]
    assert stamps == [frame.host_time_s for frame in frames]
    # A file plays at its frame rate, as the camera it stands in for would deliver it.
    gaps = np.diff(stamps)
    assert np.all(gaps > 0)
    assert gaps.mean() == pytest.approx(1 / FPS, abs=0.01)


def test_fps_sets_a_files_playback_rate(video):
    with OpenCVCamera(OpenCVConfig(device=video, fps=100)) as camera:
        stamps = [camera.read().host_time_s for _ in COLOURS]
    assert np.diff(stamps).mean() == pytest.approx(0.01, abs=0.006)


def test_the_end_of_a_file_is_a_timeout_not_a_crash(video):
    camera = OpenCVCamera(OpenCVConfig(device=video))
    with pytest.raises(RuntimeError, match='before start'):
        camera.read()
    camera.start()
    for _ in COLOURS:
        camera.read()
    for _ in range(2):  # and stays one: no frame will come
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r'end of the file after 5 frames'):
            camera.read(timeout_s=0.2)
        assert time.monotonic() - started == pytest.approx(0.2, abs=0.1)  # waited, as for a camera
    camera.stop()
    camera.stop()  # idempotent: the node's shutdown path may call it twice
    with pytest.raises(RuntimeError, match='before start'):
        camera.read()


@pytest.mark.parametrize(
    'device,message',
    [
        ('/dev/video97', '/dev/video97 does not exist; list the cameras with v4l2-ctl'),
        ('97', '/dev/video97 does not exist; list the cameras with v4l2-ctl'),
        ('missing.avi', 'no such file'),
    ],
)
def test_a_missing_device_is_unavailable_and_named(tmp_path, monkeypatch, device, message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.platform', 'linux')  # the V4L2 names are Linux's
    camera = OpenCVCamera(OpenCVConfig(device=device))
    with pytest.raises(CameraUnavailable, match=f'OpenCV camera {device!r} cannot be opened'):
        camera.start()
    with pytest.raises(CameraUnavailable, match=message):
        camera.start()
    camera.stop()  # nothing was left open


def test_a_device_without_permission_says_how_to_get_it(monkeypatch, tmp_path):
    node = tmp_path / 'video3'
    node.touch()
    monkeypatch.setattr('sys.platform', 'linux')
    monkeypatch.setattr(
        'imle_policy_ros.cameras.opencv_camera._v4l2_path', lambda device: str(node)
    )
    monkeypatch.setattr('os.access', lambda path, mode: False)
    with pytest.raises(CameraUnavailable, match=r'no permission .* video group'):
        OpenCVCamera(OpenCVConfig(device='/dev/video3')).start()


def test_a_file_that_is_not_a_video_is_unavailable(tmp_path):
    path = tmp_path / 'notes.avi'
    path.write_text('not a video')
    with pytest.raises(CameraUnavailable, match=r"OpenCV camera '.*notes.avi'.* cannot decode"):
        OpenCVCamera(OpenCVConfig(device=str(path))).start()


def test_grey_and_bgra_frames_become_rgb():
    from imle_policy_ros.cameras.opencv_camera import _to_rgb

    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    np.testing.assert_array_equal(_to_rgb(grey), np.repeat(grey[..., None], 3, axis=2))
    bgra = np.zeros((2, 2, 4), np.uint8)
    bgra[..., 0] = 7  # blue
    np.testing.assert_array_equal(_to_rgb(bgra)[0, 0], (0, 0, 7))
    np.testing.assert_array_equal(_to_rgb((grey.astype(np.uint16) << 8))[..., 0], grey)


def test_bad_settings_are_refused():
    with pytest.raises(SettingError, match="fourcc 'MJPEG' must be 4"):
        OpenCVConfig(fourcc='MJPEG')
    with pytest.raises(SettingError, match='width=-1 is outside'):
        OpenCVConfig(width=-1)
