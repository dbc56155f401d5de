# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
What an end-effector policy predicts, for RViz: the chosen path and all N sampled ones.

    ~/predicted_path   nav_msgs/Path: the newest usable chunk's poses, each stamped with
                       the time it is due (the counterpart of ~/predicted_trajectory)
    ~/sampled_paths    visualization_msgs/MarkerArray: one line per sample the policy drew
                       for that chunk, the chosen one wider and green (IMLE's modes, and
                       which one temporal consistency kept)

Both are in the base frame. The samples are the raw model outputs decoded from the
observation's pose as the controller decodes the chosen one (ee_layout.decode), before
the workspace and speed limits: what the policy proposed, not what the arm does. A
message package that does not import (nav_msgs has a pip wheel, but a host may lack it)
leaves its topic out, said once at start. Built only while someone subscribes, so the
control loop pays nothing for it otherwise.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import messages

CHOSEN_WIDTH, SAMPLE_WIDTH = 0.006, 0.002  # m, line widths
CHOSEN_RGBA, SAMPLE_RGBA = (0.1, 0.9, 0.2, 1.0), (0.6, 0.6, 0.6, 0.5)


def sampled_poses(spec, output, at_pose) -> list[np.ndarray | None]:
    """
    Return each sample's poses [T, 7] in the base frame (None: not a pose, e.g. a NaN).

    spec: the bundle's PolicySpec; output: its PolicyOutput; at_pose: the measured pose [7]
    at the observation the samples came from.
    """
    actions = spec.action_stats.unnormalize(output.samples_normalized)
    poses: list[np.ndarray | None] = []
    for sample in np.asarray(actions, dtype=np.float64):
        try:
            decoded, _ = spec.ee_layout.decode(sample, at_pose)
        except ValueError:
            decoded = None
        ok = decoded is not None and np.all(np.isfinite(decoded))
        poses.append(decoded if ok else None)
    return poses


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def path_message(path_type, poses, times, frame_id: str):
    """Build a nav_msgs/Path of poses [K, 7] due at absolute times [K] (s)."""
    msg = path_type()
    msg.header.frame_id = frame_id
    if len(times):
        msg.header.stamp = messages.seconds_to_stamp(float(times[0]))
    msg.poses = [
        messages.pose_stamped(p, frame_id, messages.seconds_to_stamp(float(t)))
        for p, t in zip(poses, times)
    ]
    return msg


def marker_array(msgs_module, samples, chosen: int, frame_id: str, stamp):
    """
    Build a MarkerArray: a DELETEALL, then one LINE_STRIP per usable sample.

    The DELETEALL first: with fewer samples than last time (num_samples changed, or one
    drawn without a reference) the old lines would otherwise stay.
    """
    from geometry_msgs.msg import Point
    from std_msgs.msg import ColorRGBA

    marker_type = msgs_module.Marker
    markers = [marker_type(action=marker_type.DELETEALL)]
    for index, poses in enumerate(samples):
        if poses is None:
            continue
        is_chosen = index == chosen
        marker = marker_type(
            ns='chosen' if is_chosen else 'samples',
            id=index,
            type=marker_type.LINE_STRIP,
            action=marker_type.ADD,
        )
        marker.header.frame_id = frame_id
        marker.header.stamp = stamp
        marker.pose.orientation.w = 1.0
        marker.scale.x = CHOSEN_WIDTH if is_chosen else SAMPLE_WIDTH
        r, g, b, a = CHOSEN_RGBA if is_chosen else SAMPLE_RGBA
        marker.color = ColorRGBA(r=r, g=g, b=b, a=a)
        marker.points = [Point(x=x, y=y, z=z) for x, y, z in np.asarray(poses)[:, :3].tolist()]
        markers.append(marker)
    return msgs_module.MarkerArray(markers=markers)


class PathPublisher:
    """Publishes ~/predicted_path and ~/sampled_paths for each new chunk, if anyone listens."""

    def __init__(self, node, frame_id: str):
        self.frame_id = frame_id
        nav, visualization = _module('nav_msgs.msg'), _module('visualization_msgs.msg')
        self._path_type = nav.Path if nav is not None else None
        self._markers = visualization
        self._path_pub = self._markers_pub = None
        if nav is not None:
            self._path_pub = node.create_publisher(nav.Path, '~/predicted_path', 10)
        if visualization is not None:
            self._markers_pub = node.create_publisher(
                visualization.MarkerArray, '~/sampled_paths', 10
            )
        for package, topic, module in (
            ('nav_msgs', 'predicted_path', nav),
            ('visualization_msgs', 'sampled_paths', visualization),
        ):
            if module is None:
                wheel = 'ros-jazzy-' + package.replace('_', '-')
                node.get_logger().info(
                    f'{package} is not installed: ~/{topic} is not published (pip install '
                    f'{wheel}, or the ROS package, to have it)'
                )

    def publish(self, chunk, source, spec) -> None:
        """Publish a new chunk; source: (PolicyOutput, Observation) it came from, or None."""
        if self._path_pub is not None and self._path_pub.get_subscription_count() > 0:
            self._path_pub.publish(
                path_message(self._path_type, chunk.poses, chunk.times, self.frame_id)
            )
        if (
            self._markers_pub is None
            or source is None
            or self._markers_pub.get_subscription_count() == 0
        ):
            return
        output, observation = source
        samples = sampled_poses(spec, output, observation.ee_poses[-1])
        stamp = messages.seconds_to_stamp(chunk.t_obs)
        self._markers_pub.publish(
            marker_array(self._markers, samples, output.index, self.frame_id, stamp)
        )
