# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
A USB webcam (V4L2), a video file or a stream URL, through cv2.VideoCapture.

    OpenCVCamera(OpenCVConfig(device='0'))            # /dev/video0 through V4L2
    OpenCVCamera(OpenCVConfig(device='/dev/video2', width=1280, height=720, fourcc='MJPG'))
    OpenCVCamera(OpenCVConfig(device='demo.avi'))     # a recording, played at its frame rate

OpenCV gives no reliable device clock (CAP_PROP_POS_MSEC is a position in a file, not a
capture time), so frames are stamped with the host clock right after the grab, in the
'system_time' domain: late by the transport latency, with the host's scheduling jitter.

A file plays in real time (at `fps`, else its own frame rate), so it stands in for a camera:
a consumer sees frames at the rate it would see them from the device. Its end is a
TimeoutError (no frame will come), as a camera that stopped delivering is.
"""

from __future__ import annotations

from dataclasses import dataclass
import os
import sys
import threading
import time

import numpy as np

from .frame import CameraFrame, CameraUnavailable
from ..settings import check_settings, setting


def check_fourcc(value: str) -> str | None:
    """Return why `value` is not a fourcc (4 ASCII characters, or empty), or None."""
    if value and (len(value) != 4 or not value.isascii()):
        return f'fourcc {value!r} must be 4 ASCII characters such as MJPG or YUYV, or empty'
    return None


@dataclass(frozen=True)
class OpenCVConfig:
    device: str = setting(
        '0', 'a V4L2 index (0), a device path (/dev/video2), or a video file or URL'
    )
    width: int = setting(0, "frame width to ask for (0 = the device's own)", min=0, max=16384)
    height: int = setting(0, "frame height to ask for (0 = the device's own)", min=0, max=16384)
    fps: int = setting(
        0, "frame rate to ask for; a file's playback rate (0 = the device's own)", min=0, max=1000
    )
    fourcc: str = setting(
        '',
        "pixel format to ask for, e.g. MJPG (empty = the device's default)",
        check=check_fourcc,
    )

    def __post_init__(self) -> None:
        check_settings(self)


def _is_url(device: str) -> bool:
    return '://' in device


def _v4l2_path(device: str) -> str | None:
    """Return the /dev/video* node a device names on Linux, or None for files and URLs."""
    if not sys.platform.startswith('linux'):
        return None
    if device.isdigit():
        return f'/dev/video{int(device)}'
    if device.startswith('/dev/video'):
        return device
    return None


def _missing(device: str) -> str | None:
    """Say why `device` cannot be a camera before OpenCV tries it, or return None."""
    node = _v4l2_path(device)
    if node is not None:
        if not os.path.exists(node):
            return f'{node} does not exist; list the cameras with v4l2-ctl --list-devices'
        if not os.access(node, os.R_OK | os.W_OK):
            return (
                f'no permission to open {node}; add your user to the video group '
                '(sudo usermod -aG video $USER, then log in again)'
            )
        return None
    if not device.isdigit() and not _is_url(device) and not os.path.exists(device):
        return 'no such file; give a V4L2 index, a /dev/video* path, a video file or a URL'
    return None


def _unopened(device: str) -> str:
    """Say what to check when OpenCV could not open an existing `device`."""
    if _v4l2_path(device) is not None or device.isdigit():
        return (
            'it would not open or gave no frame: is another program using it, and does '
            'v4l2-ctl --list-formats-ext list the size, rate and fourcc asked for?'
        )
    if _is_url(device):
        return 'it would not open or gave no frame: check the URL and that the stream is live'
    return 'OpenCV cannot decode it: check it plays (ffprobe) and that it is a video file'


class OpenCVCamera:
    """
    A cv2.VideoCapture source as a CameraDriver (driver.py); colour only, no depth.

    start() opens it and reads one frame to prove it works (that frame is the first read()
    returns); read() grabs the next one; stop() releases it.
    """

    has_depth = False

    def __init__(self, config: OpenCVConfig = OpenCVConfig()):
        self.config = config
        self._capture = None
        self._lock = threading.Lock()  # read() and stop() never use the capture at once
        self._first: CameraFrame | None = None  # the frame start() read
        self._count = 0  # frames grabbed so far
        self._is_file = False
        self._period_s = 0.0  # a file's playback period; 0 = as fast as the source delivers
        self._next_due = 0.0  # time.monotonic() when a file's next frame is due
        self._ended = False

    @property
    def description(self) -> str:
        return f'OpenCV {_v4l2_path(self.config.device) or self.config.device}'

    def _source(self):
        import cv2

        device = self.config.device
        api = cv2.CAP_V4L2 if _v4l2_path(device) is not None else cv2.CAP_ANY
        return (int(device) if device.isdigit() else device), api

    def start(self) -> None:
        device = self.config.device
        problem = _missing(device)
        if problem:
            raise CameraUnavailable(f'OpenCV camera {device!r} cannot be opened: {problem}')
        import cv2  # here, so that importing cameras/ (image_codec) does not load OpenCV

        source, api = self._source()
        capture = cv2.VideoCapture(source, api)
        try:
            if not capture.isOpened():
                raise CameraUnavailable(
                    f'OpenCV camera {device!r} cannot be opened: {_unopened(device)}'
                )
            self._configure(capture)
            self._is_file = not _is_url(device) and os.path.isfile(device)
            fps = self.config.fps or capture.get(cv2.CAP_PROP_FPS)
            self._period_s = 1.0 / fps if self._is_file and 0 < fps <= 1000 else 0.0
            self._capture, self._count, self._ended = capture, 0, False
            self._first = self._grab()
            if self._first is None:
                raise CameraUnavailable(f'OpenCV camera {device!r} opened but {_unopened(device)}')
        except BaseException:
            self._capture = None
            capture.release()
            raise
        self._next_due = time.monotonic() + self._period_s

    def _configure(self, capture) -> None:
        import cv2

        cfg = self.config
        # The pixel format first: V4L2 drivers offer sizes and rates per format. A property
        # the source cannot take (any of them, for a file) is ignored, as OpenCV does.
        if cfg.fourcc:
            capture.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*cfg.fourcc))
        if cfg.width:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, cfg.width)
        if cfg.height:
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, cfg.height)
        if cfg.fps:
            capture.set(cv2.CAP_PROP_FPS, cfg.fps)

    def _grab(self) -> CameraFrame | None:
        """Grab and convert one frame, or return None when the source has none."""
        if not self._capture.grab():
            return None
        # Straight after the grab: the closest the host gets to the capture time.
        host_time_s = time.time()
        ok, pixels = self._capture.retrieve()
        if not ok or pixels is None or pixels.size == 0:
            return None
        number, self._count = self._count, self._count + 1
        return CameraFrame(
            color_rgb=_to_rgb(pixels),
            depth=None,
            device_time_s=host_time_s,
            host_time_s=host_time_s,
            frame_number=number,
            timestamp_domain='system_time',
        )

    def read(self, timeout_s: float = 1.0) -> CameraFrame:
        """
        Return the next frame.

        TimeoutError when there is none: the device stopped delivering or the file ended,
        after waiting out `timeout_s` as for a camera gone quiet. A live device that just
        delivers nothing blocks in its backend's own read timeout instead (V4L2:
        OPENCV_VIDEOIO_V4L_SELECT_TIMEOUT, 10 s by default).
        """
        deadline = time.monotonic() + timeout_s
        with self._lock:
            if self._capture is None:
                raise RuntimeError('OpenCVCamera.read() before start()')
            if self._first is not None:
                frame, self._first = self._first, None
                return frame
            if not self._ended:
                if self._period_s:
                    wait_s = self._next_due - time.monotonic()
                    if wait_s > timeout_s:
                        time.sleep(timeout_s)
                        raise TimeoutError(f'{self.description}: no frame within {timeout_s} s')
                    time.sleep(max(0.0, wait_s))
                    self._next_due = max(self._next_due + self._period_s, time.monotonic())
                frame = self._grab()
                if frame is not None:
                    return frame
                self._ended = self._is_file
            # No frame now: wait out the timeout, as a read from a camera gone quiet would.
            time.sleep(max(0.0, deadline - time.monotonic()))
            if not self._ended:
                raise TimeoutError(f'{self.description}: no frame (the device stopped)')
            raise TimeoutError(f'{self.description}: end of the file after {self._count} frames')

    def stop(self) -> None:
        # A read blocked in a dead device's grab may hold the lock for its backend's timeout;
        # the capture is then left to the process's exit rather than released under it.
        if not self._lock.acquire(timeout=2.0):
            return
        try:
            capture, self._capture, self._first = self._capture, None, None
            if capture is not None:
                capture.release()
        finally:
            self._lock.release()

    def __enter__(self) -> 'OpenCVCamera':
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _to_rgb(pixels: np.ndarray) -> np.ndarray:
    """Return a new uint8 RGB [H, W, 3] array from OpenCV's BGR, BGRA or grey frame."""
    if pixels.dtype == np.uint16:  # 16-bit grey cameras: keep the top 8 bits
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] == 1:
        return np.repeat(pixels, 3, axis=2)
    return np.ascontiguousarray(pixels[:, :, 2::-1])  # BGR(A) -> RGB, alpha dropped
