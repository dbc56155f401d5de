# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
The simulated camera: a top-down RGB view of the table, drawn with OpenCV.

The image is the policy's only source for where the target is, so the target is a
saturated green disc drawn above the links (only the tool is drawn over it); the
obstacle is red, the arm dark blue-grey, the tool orange. Shapes are anti-aliased with
sub-pixel coordinates, so the image changes smoothly as things move rather than in
whole-pixel jumps. Rendering is pure and deterministic: same scene and joints, same
bytes.

Image axes: up is +x (forward, away from the base), left is +y, as a camera above the
table looking down with the base at the bottom edge would see it.
"""

from __future__ import annotations

import cv2
import numpy as np

from .planar_arm import ArmGeometry, link_points
from .reach_task import TaskScene

CAMERA_NAME = 'top'

# The square of table that the camera sees, x in [0.05, 0.95], y in [-0.45, 0.45] m:
# the target region, both ways around the obstacle and the elbow at home, no more,
# so the target is as many pixels as possible (~9 px across at 96 px).
VIEW_CENTER_XY = (0.5, 0.0)
VIEW_SIZE_M = 0.9

# RGB
TABLE_COLOR = (214, 210, 196)
OBSTACLE_COLOR = (200, 40, 40)
TARGET_COLOR = (30, 190, 60)
LINK_COLOR = (60, 70, 120)
JOINT_COLOR = (35, 40, 70)
TOOL_COLOR = (250, 150, 0)

LINK_WIDTH_M = 0.025
JOINT_RADIUS_M = 0.02

# cv2 draws with fixed-point coordinates: 4 fractional bits = 1/16 px resolution.
_SHIFT = 4
_ONE = 1 << _SHIFT


class TopDownView:
    """Metres to fixed-point pixel coordinates for one image size."""

    def __init__(self, size: int):
        if size < 8:
            raise ValueError(f'image size must be >= 8 px, got {size}')
        self.size = int(size)
        self.px_per_m = self.size / VIEW_SIZE_M

    def pixel(self, xy) -> tuple[float, float]:
        """(column, row) in pixels, sub-pixel, of a table point xy (pixel centres at +0.5)."""
        x, y = float(xy[0]), float(xy[1])
        col = (VIEW_CENTER_XY[1] - y) * self.px_per_m + self.size / 2
        row = (VIEW_CENTER_XY[0] - x) * self.px_per_m + self.size / 2
        return col, row

    def fixed(self, xy) -> tuple[int, int]:
        col, row = self.pixel(xy)
        # -0.5: cv2 puts integer coordinates on pixel centres.
        return int(round((col - 0.5) * _ONE)), int(round((row - 0.5) * _ONE))

    def radius(self, metres: float) -> int:
        return max(_ONE, int(round(metres * self.px_per_m * _ONE)))

    def thickness(self, metres: float) -> int:
        return max(1, int(round(metres * self.px_per_m)))


def render(
    scene: TaskScene, q, size: int = 96, geometry: ArmGeometry = ArmGeometry()
) -> np.ndarray:
    """uint8 RGB [size, size, 3] of the scene with the arm at joint positions q."""
    view = TopDownView(size)
    image = np.empty((view.size, view.size, 3), dtype=np.uint8)
    image[:] = TABLE_COLOR
    aa = cv2.LINE_AA

    cv2.circle(
        image,
        view.fixed(scene.obstacle_xy),
        view.radius(scene.obstacle_radius),
        OBSTACLE_COLOR,
        -1,
        aa,
        _SHIFT,
    )

    base, elbow, tool = link_points(q, geometry)
    width = view.thickness(LINK_WIDTH_M)
    cv2.line(image, view.fixed(base), view.fixed(elbow), LINK_COLOR, width, aa, _SHIFT)
    cv2.line(image, view.fixed(elbow), view.fixed(tool), LINK_COLOR, width, aa, _SHIFT)
    cv2.circle(image, view.fixed(elbow), view.radius(JOINT_RADIUS_M), JOINT_COLOR, -1, aa, _SHIFT)

    # Above the links on purpose: a link must never hide where the target is.
    cv2.circle(
        image,
        view.fixed(scene.target_xy),
        view.radius(scene.target_radius),
        TARGET_COLOR,
        -1,
        aa,
        _SHIFT,
    )

    cv2.circle(image, view.fixed(tool), view.radius(scene.tool_radius), TOOL_COLOR, -1, aa, _SHIFT)
    return image
