# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Intel RealSense colour (+ optional depth) through pyrealsense2.

pyrealsense2 is imported when the camera starts, not when this module is imported: training
hosts and CI never have it, and a robot without it should get one sentence saying how to
install it rather than an ImportError from deep inside a node.
"""

from __future__ import annotations

from dataclasses import dataclass
import time

import numpy as np

from .frame import CameraFrame, CameraUnavailable


@dataclass(frozen=True)
class RealSenseConfig:
    serial: str = ''  # "" = the first camera found
    width: int = 640
    height: int = 480
    fps: int = 30
    enable_depth: bool = False
    align_depth: bool = True  # resample depth into the colour camera's pixels


def _import_pyrealsense2():
    try:
        import pyrealsense2 as rs
    except ImportError as exc:
        raise CameraUnavailable(
            'pyrealsense2 is not installed: pip install pyrealsense2 (or install librealsense '
            'built with its Python bindings, -DBUILD_PYTHON_BINDINGS=ON) and restart'
        ) from exc
    return rs


class RealSenseCamera:
    """
    A RealSense camera as a CameraDriver (driver.py).

    start() -> read() ... -> stop(); read() blocks until the next frame set arrives.
    """

    def __init__(self, config: RealSenseConfig = RealSenseConfig()):
        self.config = config
        self.serial = config.serial
        self._rs = None
        self._pipeline = None
        self._align = None

    @property
    def description(self) -> str:
        return f'RealSense {self.serial or "(first found)"}'

    @property
    def has_depth(self) -> bool:
        return self.config.enable_depth

    def start(self) -> None:
        rs = _import_pyrealsense2()
        self.serial = self._pick_serial(rs)
        cfg = self.config
        rs_config = rs.config()
        rs_config.enable_device(self.serial)
        rs_config.enable_stream(rs.stream.color, cfg.width, cfg.height, rs.format.rgb8, cfg.fps)
        if cfg.enable_depth:
            rs_config.enable_stream(rs.stream.depth, cfg.width, cfg.height, rs.format.z16, cfg.fps)
        pipeline = rs.pipeline()
        try:
            pipeline.start(rs_config)
        except RuntimeError as exc:  # librealsense: "Couldn't resolve requests"
            depth = ' + depth' if cfg.enable_depth else ''
            raise CameraUnavailable(
                f'RealSense {self.serial} cannot stream colour{depth} at {cfg.width}x{cfg.height} '
                f'{cfg.fps} fps ({exc}); list the supported modes with rs-enumerate-devices'
            ) from exc
        self._rs, self._pipeline = rs, pipeline
        self._align = rs.align(rs.stream.color) if cfg.enable_depth and cfg.align_depth else None

    def _pick_serial(self, rs) -> str:
        devices = rs.context().query_devices()
        found = [device.get_info(rs.camera_info.serial_number) for device in devices]
        if not found:
            raise CameraUnavailable(
                'no RealSense camera found: check the USB 3 cable and that '
                'rs-enumerate-devices lists it (udev rules installed?)'
            )
        if self.config.serial and self.config.serial not in found:
            raise CameraUnavailable(
                f'RealSense serial {self.config.serial!r} not found; '
                f'connected: {", ".join(found)}. Set the serial to one of them'
            )
        return self.config.serial or found[0]

    def read(self, timeout_s: float = 1.0) -> CameraFrame:
        """Return the next frame; TimeoutError when none arrives within timeout_s."""
        if self._pipeline is None:
            raise RuntimeError('RealSenseCamera.read() before start()')
        try:
            frames = self._pipeline.wait_for_frames(max(1, int(timeout_s * 1000)))
        except RuntimeError as exc:  # librealsense reports a timeout as RuntimeError
            raise TimeoutError(
                f'no frame from RealSense {self.serial} within {timeout_s} s ({exc})'
            ) from exc
        # Taken before alignment and copies, so the clock sync sees transport latency only.
        host_time_s = time.time()
        if self._align is not None:
            frames = self._align.process(frames)
        color = frames.get_color_frame()
        if not color:
            raise TimeoutError(f'RealSense {self.serial} sent a frame set without colour')
        depth = frames.get_depth_frame() if self.config.enable_depth else None
        return CameraFrame(
            # Copies: librealsense recycles the frame memory once the frame object is released.
            color_rgb=np.array(color.get_data(), dtype=np.uint8, copy=True),
            depth=np.array(depth.get_data(), dtype=np.uint16, copy=True) if depth else None,
            device_time_s=color.get_timestamp() / 1000.0,
            host_time_s=host_time_s,
            frame_number=int(color.get_frame_number()),
            timestamp_domain=self._domain_name(color.get_frame_timestamp_domain()),
        )

    def _domain_name(self, domain) -> str:
        names = self._rs.timestamp_domain
        if domain == names.system_time:
            return 'system_time'
        if domain == names.global_time:
            return 'global_time'
        return 'hardware_clock'

    def stop(self) -> None:
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.stop()

    def __enter__(self) -> 'RealSenseCamera':
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
