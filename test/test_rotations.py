# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""Rotations: the conversions agree with each other and with rotations written by hand."""

from imle_policy_ros.runtime import rotations as rot
import numpy as np
import pytest


def random_quaternions(n, seed=0):
    q = np.random.default_rng(seed).standard_normal((n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def about_z(angle):
    return np.array([0.0, 0.0, np.sin(angle / 2), np.cos(angle / 2)])


def test_a_quarter_turn_about_z_takes_x_to_y():
    np.testing.assert_allclose(rot.rotate(about_z(np.pi / 2), [1.0, 0, 0]), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(
        rot.to_matrix(about_z(np.pi / 2)), [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-12
    )


def test_matrix_round_trip_gives_the_canonical_quaternion():
    q = random_quaternions(500)
    back = rot.from_matrix(rot.to_matrix(q))
    np.testing.assert_allclose(back, rot.canonical(q), atol=1e-9)
    assert np.all(back[:, 3] >= 0)


def test_six_d_round_trip_and_gram_schmidt_repairs_a_noisy_output():
    q = random_quaternions(200, seed=1)
    np.testing.assert_allclose(rot.from_6d(rot.to_6d(q)), rot.canonical(q), atol=1e-9)
    noisy = rot.to_6d(q) + np.random.default_rng(2).normal(0, 0.01, (200, 6))
    m = rot.matrix_from_6d(noisy)
    np.testing.assert_allclose(
        m @ np.swapaxes(m, -1, -2), np.broadcast_to(np.eye(3), m.shape), atol=1e-9
    )
    np.testing.assert_allclose(np.linalg.det(m), 1.0, atol=1e-9)
    assert np.max(rot.angle_between(rot.from_matrix(m), q)) < 0.05


def test_degenerate_six_d_is_refused():
    with pytest.raises(ValueError, match='parallel'):
        rot.matrix_from_6d([1, 0, 0, 2, 0, 0])
    with pytest.raises(ValueError, match='not finite'):
        rot.matrix_from_6d([np.nan, 0, 0, 0, 1, 0])


def test_slerp_runs_at_constant_rate_the_short_way_round():
    a, b = about_z(0.0), -about_z(1.0)  # -q: same rotation, a naive blend goes the long way
    for w in (0.0, 0.25, 0.5, 1.0):
        np.testing.assert_allclose(rot.angle_between(rot.slerp(a, b, w), a), w * 1.0, atol=1e-9)
    np.testing.assert_allclose(rot.slerp(a, a, 0.3), a, atol=1e-12)  # identical: no 0/0


def test_continuous_removes_sign_flips():
    q = np.stack([about_z(0.1 * i) for i in range(6)])
    q[2] *= -1
    q[4] *= -1
    fixed = rot.continuous(q)
    assert np.all(np.sum(fixed[1:] * fixed[:-1], axis=1) > 0)
    np.testing.assert_allclose(rot.angle_between(fixed, q), 0.0, atol=1e-7)


def test_rotation_vector_round_trip():
    q = random_quaternions(100, seed=3)
    np.testing.assert_allclose(
        rot.canonical(rot.from_rotation_vector(rot.rotation_vector(q))),
        rot.canonical(q),
        atol=1e-9,
    )
    np.testing.assert_allclose(rot.rotation_vector(about_z(0.5)), [0, 0, 0.5], atol=1e-12)
    np.testing.assert_allclose(rot.rotation_vector(rot.IDENTITY_QUATERNION), 0.0)


def test_pose_inverse_and_compose():
    rng = np.random.default_rng(4)
    poses = np.concatenate([rng.normal(size=(50, 3)), random_quaternions(50, 5)], axis=1)
    identity = rot.compose(rot.inverse(poses), poses)
    np.testing.assert_allclose(identity[:, :3], 0.0, atol=1e-9)
    np.testing.assert_allclose(
        rot.angle_between(identity[:, 3:], rot.IDENTITY_QUATERNION), 0, atol=1e-6
    )
    base_to_tool = np.array([1.0, 0, 0, *about_z(np.pi / 2)])
    tool_offset = np.array([0.5, 0, 0, 0, 0, 0, 1])
    np.testing.assert_allclose(rot.compose(base_to_tool, tool_offset)[:3], [1, 0.5, 0], atol=1e-12)


@pytest.mark.parametrize(
    'q, problem',
    [
        ([0, 0, 0, 1], ''),
        ([0, 0, 0, 1.01], 'unit length'),
        ([0, 0, np.nan, 1], 'not finite'),
        ([0, 0, 1], '4 values'),
    ],
)
def test_quaternion_problem_names_it(q, problem):
    found = rot.quaternion_problem(q)
    assert (problem in found) if problem else found == ''
