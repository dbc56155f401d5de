# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Rotations and poses: quaternions as ROS writes them, rotation matrices, the 6-D form.

Conventions, the same everywhere in this package:
- a quaternion is (x, y, z, w), the field order of geometry_msgs/Quaternion;
- a pose is position [3] + quaternion [4] = 7 numbers, in that order (`POSE_SIZE`);
- the 6-D rotation is the first two columns of the rotation matrix, column after column
  (r00, r10, r20, r01, r11, r21): continuous, unlike quaternions (q and -q are the same
  rotation) or Euler angles, which is why networks learn it (Zhou et al., CVPR 2019).

Everything works on batches: the last axis (or the last two, for matrices) is the
rotation, any leading axes are kept. numpy only.
"""

from __future__ import annotations

import numpy as np

POSE_SIZE = 7
UNIT_TOLERANCE = 1e-3  # |q| may differ from 1 by this (float32 round trips, JSON, messages)
IDENTITY_QUATERNION = np.array([0.0, 0.0, 0.0, 1.0])


def quaternion_problem(q, tolerance: float = UNIT_TOLERANCE) -> str:
    """Return why q [..., 4] is not a usable rotation, or '' when every one is."""
    q = np.asarray(q, dtype=np.float64)
    if q.shape[-1:] != (4,):
        return f'a quaternion has 4 values (x, y, z, w), got shape {q.shape}'
    if not np.all(np.isfinite(q)):
        return 'quaternion is not finite (NaN or Inf)'
    norms = np.linalg.norm(q, axis=-1)
    worst = float(np.max(np.abs(norms - 1.0))) if norms.size else 0.0
    if worst > tolerance:
        return f'quaternion is not of unit length (|q| off by {worst:.3g}, tolerance {tolerance})'
    return ''


def normalized(q) -> np.ndarray:
    q = np.asarray(q, dtype=np.float64)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def canonical(q) -> np.ndarray:
    """Return q or -q (the same rotation), whichever has w >= 0: one quaternion per rotation."""
    q = np.asarray(q, dtype=np.float64)
    return np.where(q[..., 3:4] < 0, -q, q)


def continuous(quaternions) -> np.ndarray:
    """
    Flip signs along a sequence [T, 4] so that consecutive quaternions agree (dot >= 0).

    Recorded quaternions may jump between q and -q (same rotation); interpolating or
    differencing across such a jump would spin the long way round.
    """
    q = np.array(quaternions, dtype=np.float64)
    for i in range(1, len(q)):
        if np.dot(q[i], q[i - 1]) < 0:
            q[i] = -q[i]
    return q


def multiply(a, b) -> np.ndarray:
    """Return the Hamilton product a * b (rotate by b, then by a)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ax, ay, az, aw = np.moveaxis(a, -1, 0)
    bx, by, bz, bw = np.moveaxis(b, -1, 0)
    return np.stack(
        [
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz,
        ],
        axis=-1,
    )


def conjugate(q) -> np.ndarray:
    """Return the inverse of a unit quaternion."""
    q = np.array(q, dtype=np.float64)
    q[..., :3] *= -1.0
    return q


def to_matrix(q) -> np.ndarray:
    """Return the rotation matrices [..., 3, 3] of unit quaternions [..., 4]."""
    x, y, z, w = np.moveaxis(normalized(q), -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
            np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
            np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
        ],
        axis=-2,
    )


def from_matrix(matrix) -> np.ndarray:
    """Return the canonical unit quaternions [..., 4] of rotation matrices [..., 3, 3]."""
    m = np.asarray(matrix, dtype=np.float64)
    # Each of the four candidates is computed from the diagonal; the largest is the
    # numerically safe one (Shepperd's method), taken per matrix.
    trace = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    diagonal = np.stack([m[..., 0, 0], m[..., 1, 1], m[..., 2, 2], trace], axis=-1)
    pick = np.argmax(diagonal, axis=-1)
    candidates = np.stack(
        [
            _from_column(m, 0),
            _from_column(m, 1),
            _from_column(m, 2),
            np.stack(
                [
                    m[..., 2, 1] - m[..., 1, 2],
                    m[..., 0, 2] - m[..., 2, 0],
                    m[..., 1, 0] - m[..., 0, 1],
                    1.0 + trace,
                ],
                axis=-1,
            ),
        ],
        axis=-2,
    )
    q = np.take_along_axis(candidates, pick[..., None, None], axis=-2)[..., 0, :]
    return canonical(normalized(q))


def _from_column(m: np.ndarray, i: int) -> np.ndarray:
    """Quaternion (unnormalized) from the case where diagonal element i is the largest."""
    j, k = (i + 1) % 3, (i + 2) % 3
    q = np.empty(m.shape[:-2] + (4,))
    q[..., i] = 1.0 + m[..., i, i] - m[..., j, j] - m[..., k, k]
    q[..., j] = m[..., j, i] + m[..., i, j]
    q[..., k] = m[..., k, i] + m[..., i, k]
    q[..., 3] = m[..., k, j] - m[..., j, k]
    return q


def matrix_to_6d(matrix) -> np.ndarray:
    """Return the 6-D form [..., 6] of rotation matrices: the first two columns."""
    m = np.asarray(matrix, dtype=np.float64)
    return np.concatenate([m[..., :, 0], m[..., :, 1]], axis=-1)


def matrix_from_6d(d6) -> np.ndarray:
    """
    Return the rotation matrix [..., 3, 3] nearest to a 6-D form [..., 6] (Gram-Schmidt).

    A network's output is not exactly two orthonormal columns; the first column sets the
    direction, the second is made orthogonal to it, the third is their cross product.
    Raises ValueError for a degenerate input (columns zero or parallel): no rotation.
    """
    d6 = np.asarray(d6, dtype=np.float64)
    a, b = d6[..., :3], d6[..., 3:6]
    a_norm = np.linalg.norm(a, axis=-1, keepdims=True)
    if not np.all(np.isfinite(d6)) or np.any(a_norm < 1e-6):
        raise ValueError('6-D rotation is not finite or its first column is zero')
    c0 = a / a_norm
    b = b - np.sum(c0 * b, axis=-1, keepdims=True) * c0
    b_norm = np.linalg.norm(b, axis=-1, keepdims=True)
    if np.any(b_norm < 1e-6):
        raise ValueError('6-D rotation has parallel columns: it is not a rotation')
    c1 = b / b_norm
    return np.stack([c0, c1, np.cross(c0, c1)], axis=-1)


def to_6d(q) -> np.ndarray:
    return matrix_to_6d(to_matrix(q))


def from_6d(d6) -> np.ndarray:
    return from_matrix(matrix_from_6d(d6))


def angle_between(a, b) -> np.ndarray:
    """Return the rotation angle (rad, in [0, pi]) from a to b, per pair of quaternions."""
    dot = np.abs(np.sum(normalized(a) * normalized(b), axis=-1))
    return 2.0 * np.arccos(np.clip(dot, -1.0, 1.0))


def slerp(a, b, w) -> np.ndarray:
    """
    Interpolate from a (w = 0) to b (w = 1) along the shorter arc, at constant angular rate.

    Works per pair; w broadcasts against the leading axes. Near-identical rotations fall
    back to a normalized linear blend (the same to first order, and no division by ~0).
    """
    a, b = normalized(a), normalized(b)
    w = np.asarray(w, dtype=np.float64)[..., None]
    dot = np.sum(a * b, axis=-1, keepdims=True)
    b = np.where(dot < 0, -b, b)  # the shorter way round
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    small = sin_theta < 1e-6
    safe = np.where(small, 1.0, sin_theta)
    wa = np.where(small, 1.0 - w, np.sin((1.0 - w) * theta) / safe)
    wb = np.where(small, w, np.sin(w * theta) / safe)
    return normalized(wa * a + wb * b)


def rotate(q, v) -> np.ndarray:
    """Return vectors v [..., 3] rotated by unit quaternions q [..., 4]."""
    return np.einsum('...ij,...j->...i', to_matrix(q), np.asarray(v, dtype=np.float64))


def rotation_vector(q) -> np.ndarray:
    """Return axis * angle [..., 3] of unit quaternions (angle in [0, pi])."""
    q = canonical(normalized(q))
    s = np.linalg.norm(q[..., :3], axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, q[..., 3:4])
    scale = np.where(s < 1e-12, 2.0, angle / np.where(s < 1e-12, 1.0, s))
    return q[..., :3] * scale


def from_rotation_vector(r) -> np.ndarray:
    """Return unit quaternions [..., 4] of rotation vectors (axis * angle) [..., 3]."""
    r = np.asarray(r, dtype=np.float64)
    angle = np.linalg.norm(r, axis=-1, keepdims=True)
    half = 0.5 * angle
    scale = np.where(angle < 1e-12, 0.5, np.sin(half) / np.where(angle < 1e-12, 1.0, angle))
    return np.concatenate([r * scale, np.cos(half)], axis=-1)


def compose(pose_a, pose_b) -> np.ndarray:
    """Return pose a * pose b: b expressed in a's frame, taken to a's parent [..., 7]."""
    pa, qa = np.asarray(pose_a, dtype=np.float64)[..., :3], np.asarray(pose_a)[..., 3:]
    pb, qb = np.asarray(pose_b, dtype=np.float64)[..., :3], np.asarray(pose_b)[..., 3:]
    return np.concatenate([pa + rotate(qa, pb), normalized(multiply(qa, qb))], axis=-1)


def inverse(pose) -> np.ndarray:
    """Return the inverse of poses [..., 7]."""
    p, q = np.asarray(pose, dtype=np.float64)[..., :3], np.asarray(pose)[..., 3:]
    q_inv = conjugate(normalized(q))
    return np.concatenate([-rotate(q_inv, p), q_inv], axis=-1)
