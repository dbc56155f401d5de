# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
End-effector poses out of a bag: PoseStamped series, and poses composed from /tf chains.

A PoseStamped topic gives the pose directly, in its header's frame. Where a bag has only
/tf (robot_state_publisher's transforms, and the latched /tf_static), the pose of the end
effector in the base frame is composed link by link, as tf2 would look it up: at each
time a link of the chain was updated, every link contributes its newest transform at or
before that time (static ones hold for all time). A sample for which some link's newest
transform is older than the step's max age is left out, so the steps that would need it
go stale and are dropped, as for a stalled camera.

Every pose is checked before it is used: a NaN or a quaternion that is not of unit length
(an unset Pose has the zero quaternion) is refused with the topic and the time named.
numpy only; poses are (x, y, z, qx, qy, qz, qw) as in runtime/rotations.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .bag_messages import header_stamp_ns, pose_of
from .bag_reader import BagRejected, TopicSeries
from ..runtime import rotations

_NS = 1_000_000_000
TF_TOPIC = '/tf'
TF_STATIC_TOPIC = '/tf_static'


@dataclass(frozen=True)
class PoseSeries:
    """Measured end-effector poses: poses[i] [7] at stamps_ns[i], in `frame`."""

    stamps_ns: np.ndarray  # int64 [N], non-decreasing
    poses: np.ndarray  # float64 [N, 7]
    frame: str
    source: str  # the topic, or the /tf chain, for messages
    composed: bool = False  # from /tf: `source` names the frames already


# ---- PoseStamped ------------------------------------------------------------------------
def pose_payload(msgtype: str, msg) -> tuple[str, np.ndarray]:
    return str(msg.header.frame_id), pose_of(msg.pose)


def when(stamps_ns: np.ndarray, i: int) -> str:
    """Name the time of message i: its stamp, and how long after the first it came."""
    s = int(stamps_ns[i])
    return (
        f'message {i}, stamped {s // _NS}.{s % _NS:09d} s '
        f'({(s - int(stamps_ns[0])) / 1e9:.3f} s after the first)'
    )


def check_poses(bag: Path, where: str, stamps_ns: np.ndarray, poses: np.ndarray) -> None:
    """Refuse a non-finite pose or a non-unit quaternion, naming `where` and the time."""
    with np.errstate(invalid='ignore'):
        norms = np.linalg.norm(poses[:, 3:], axis=1)
        fine = np.isfinite(poses).all(axis=1) & (np.abs(norms - 1.0) <= rotations.UNIT_TOLERANCE)
    if fine.all():
        return
    i = int(np.flatnonzero(~fine)[0])  # the first bad one names the problem
    pose = poses[i]
    why = 'position is not finite (NaN or Inf)' if not np.isfinite(pose[:3]).all() else ''
    raise BagRejected(
        bag,
        f'{where} {when(stamps_ns, i)}: {why or rotations.quaternion_problem(pose[3:])}, '
        f'pose {np.round(pose, 6).tolist()}. Publish finite poses with unit quaternions (an '
        'unset Pose has the zero quaternion) and re-record',
    )


def frames_of(bag: Path, series: TopicSeries, what: str) -> str:
    """Return the one header.frame_id of a PoseStamped topic; refuse one that changes."""
    first = series.payloads[0][0]
    for i, (frame, _) in enumerate(series.payloads):
        if frame != first:
            raise BagRejected(
                bag,
                f'the {what} on {series.topic} change frame within the bag ('
                f'{when(series.stamps_ns, i)} is in {frame!r}, the first in {first!r}); '
                'publish them in one frame',
            )
    return first


def pose_stamped_series(bag: Path, series: TopicSeries, what: str) -> PoseSeries:
    """Return a PoseStamped topic's poses, checked, and their frame."""
    frame = frames_of(bag, series, what)
    poses = np.stack([pose for _, pose in series.payloads])
    check_poses(bag, series.topic, series.stamps_ns, poses)
    poses[:, 3:] = rotations.normalized(poses[:, 3:])
    return PoseSeries(series.stamps_ns, poses, frame, series.topic)


# ---- /tf --------------------------------------------------------------------------------
def tf_payload(msgtype: str, msg) -> list[tuple[str, str, int, np.ndarray]]:
    """(parent, child, stamp ns, pose7) per transform; stamp 0 when unset."""
    return [
        (str(t.header.frame_id), str(t.child_frame_id), header_stamp_ns(t), pose_of(t.transform))
        for t in msg.transforms
    ]


@dataclass
class _Link:
    """One edge of the tf tree: the child's pose in the parent, over time."""

    parent: str
    child: str
    topic: str
    stamps_ns: list
    poses: list

    @property
    def static(self) -> bool:
        return self.topic == TF_STATIC_TOPIC

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        stamps = np.asarray(self.stamps_ns, dtype=np.int64)
        order = np.argsort(stamps, kind='stable')  # several publishers may interleave
        return stamps[order], np.stack(self.poses)[order]


def _tf_links(bag: Path, tf_series: list[TopicSeries]) -> dict[str, _Link]:
    """Return the links by child frame; /tf wins over /tf_static for a frame on both."""
    links: dict[str, _Link] = {}
    for series in sorted(tf_series, key=lambda s: s.topic != TF_STATIC_TOPIC):
        for log_ns, transforms in zip(series.stamps_ns, series.payloads):
            for parent, child, stamp, pose in transforms:
                link = links.get(child)
                if link is None or link.topic != series.topic:
                    link = links[child] = _Link(parent, child, series.topic, [], [])
                if link.parent != parent:
                    raise BagRejected(
                        bag,
                        f'frame {child!r} has two parents on {series.topic} ({link.parent!r} '
                        f'and {parent!r}); tf allows one parent per frame: record one tree',
                    )
                link.stamps_ns.append(stamp or int(log_ns))
                link.poses.append(pose)
    return links


def _ancestry(links: dict[str, _Link], frame: str) -> list[str]:
    """Return [frame, its parent, ..., the root]."""
    chain = [frame]
    while chain[-1] in links and links[chain[-1]].parent not in chain:
        chain.append(links[chain[-1]].parent)
    return chain


def _frames_there(links: dict[str, _Link]) -> str:
    frames = sorted({f for link in links.values() for f in (link.parent, link.child)})
    return ', '.join(frames) or 'none'


def _chain(bag: Path, links: dict[str, _Link], base: str, ee: str) -> tuple[list, list]:
    """Return (links from the common ancestor down to ee, and down to base)."""
    known = {f for link in links.values() for f in (link.parent, link.child)}
    for frame, flag in ((ee, '--ee-frame'), (base, '--base-frame')):
        if frame not in known:
            raise BagRejected(
                bag,
                f'frame {frame!r} ({flag}) is not in {TF_TOPIC} or {TF_STATIC_TOPIC} '
                f'(frames there: {_frames_there(links)}); name a frame of the recorded tree, '
                'or record the transforms that lead to it (or give --ee-pose-topic)',
            )
    up_ee, up_base = _ancestry(links, ee), _ancestry(links, base)
    common = next((f for f in up_ee if f in up_base), None)
    if common is None:
        raise BagRejected(
            bag,
            f'no {TF_TOPIC} chain from {base!r} to {ee!r}: the link between {up_base[-1]!r} '
            f'and {up_ee[-1]!r} is missing ({ee!r} leads up to {" -> ".join(up_ee)}, '
            f'{base!r} up to {" -> ".join(up_base)}); record the transform that joins them '
            f'(e.g. a static_transform_publisher, on {TF_STATIC_TOPIC})',
        )
    down_ee = [links[f] for f in reversed(up_ee[: up_ee.index(common)])]
    down_base = [links[f] for f in reversed(up_base[: up_base.index(common)])]
    return down_ee, down_base


def tf_chain_series(
    bag: Path, tf_series: list[TopicSeries], base: str, ee: str, max_age_ns: int
) -> PoseSeries:
    """Return the pose of `ee` in `base` composed from the /tf (and /tf_static) links."""
    links = _tf_links(bag, tf_series)
    down_ee, down_base = _chain(bag, links, base, ee)
    name = f'{TF_TOPIC} chain {base} -> {ee}'
    arrays = {}
    for link in down_ee + down_base:
        stamps, poses = arrays[link.child] = link.arrays()
        check_poses(bag, f'{link.topic} transform {link.parent} -> {link.child}', stamps, poses)
    moving = [link for link in down_ee + down_base if not link.static]
    if not moving:
        raise BagRejected(
            bag,
            f'every transform of the {name} is static ({TF_STATIC_TOPIC}): the end '
            'effector never moves; name the frames of the moving arm',
        )
    times = np.unique(np.concatenate([arrays[link.child][0] for link in moving]))
    valid = np.ones(len(times), dtype=bool)

    def at_times(links: list[_Link]) -> np.ndarray:
        pose = np.broadcast_to(np.r_[np.zeros(3), rotations.IDENTITY_QUATERNION], (len(times), 7))
        for link in links:
            stamps, poses = arrays[link.child]
            if link.static:
                pose = rotations.compose(pose, poses[-1])  # latched: the last one published
                continue
            idx = np.searchsorted(stamps, times, side='right') - 1
            valid[idx < 0] = False
            valid[times - stamps[np.maximum(idx, 0)] > max_age_ns] = False
            pose = rotations.compose(pose, poses[np.maximum(idx, 0)])
        return pose

    poses = rotations.compose(rotations.inverse(at_times(down_base)), at_times(down_ee))
    if not valid.any():
        raise BagRejected(
            bag,
            f'the {name} never has all its transforms at once (each link newest within '
            f'{max_age_ns / 1e6:.0f} ms); record the whole tree together, or raise --max-age',
        )
    return PoseSeries(times[valid], poses[valid], base, name, composed=True)


# ---- orientation --------------------------------------------------------------------------
def orientation_spread(quaternions, reference=None) -> tuple[np.ndarray, float]:
    """
    Return (the mean orientation, the largest angle in degrees of any quaternion from it).

    The mean is taken after the signs are made to agree (q and -q are one rotation), as
    the normalized sum: for orientations a few degrees apart, that is the rotation nearest
    to all of them. With `reference`, the spread is measured from it instead.
    """
    q = rotations.continuous(rotations.normalized(quaternions))
    if reference is None:
        mean = rotations.canonical(rotations.normalized(q.sum(axis=0)))
    else:
        mean = rotations.canonical(rotations.normalized(reference))
    spread = np.degrees(rotations.angle_between(mean[None, :], q))
    return mean, float(spread.max()) if len(spread) else 0.0
