# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Reading the topics of one rosbag2 bag into time series, with `rosbags`, no ROS.

A bag may be a bag directory (metadata.yaml + storage file, as `ros2 bag record` writes
it) or a bare `.mcap` / `.db3` file; `find_bags` also expands a directory of bag
directories (what `sim-demos --format bag` writes). MCAP and sqlite3 storage, metadata
versions up to 9, so bags from Humble and Jazzy both read.

Messages are deserialized with one fixed typestore (Jazzy) rather than the definitions a
bag may embed: Humble's sqlite3 bags embed none, and the message types read here (Image,
CompressedImage, JointState, JointTrajectory, Float64MultiArray, PoseStamped, TFMessage)
are identical in Humble and Jazzy, so one typestore reads both.

Each message is dated by its header stamp, or by its log (receive) time when the type has
no header (Float64MultiArray; a TFMessage, whose transforms carry their own stamps) or the
stamp was left at zero (many command publishers).
Every problem that makes a bag unusable is a `BagRejected` naming the bag, the problem and
what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
import struct
from typing import Callable, Iterable, Mapping

import numpy as np
from rosbags.rosbag2 import Reader, ReaderError
from rosbags.typesys import get_typestore, Stores

from .bag_messages import header_stamp_ns
from .bag_writer import STORAGE_SUFFIXES as WRITER_SUFFIXES
from ..errors import Refusal

STORAGE_SUFFIXES = tuple(WRITER_SUFFIXES.values())  # the files `find_bags` takes for bags
METADATA_FILE = 'metadata.yaml'


class BagRejected(Refusal, ValueError):
    """A bag that cannot become an episode; the message names the bag, the problem and the fix."""

    def __init__(self, bag, problem: str):
        self.bag = Path(bag)
        super().__init__(f'{bag}: {problem}')


def _is_bag_dir(path: Path) -> bool:
    return path.is_dir() and (path / METADATA_FILE).is_file()


def find_bags(paths: Iterable) -> list[Path]:
    """
    Return the bags named by `paths`, each one episode.

    A bag directory or storage file is taken as is, a directory of bags expanded (sorted by
    name, so episode order is stable).
    """
    bags: list[Path] = []
    for path in map(Path, paths):
        if _is_bag_dir(path) or (path.is_file() and path.suffix in STORAGE_SUFFIXES):
            bags.append(path)
        elif path.is_dir():
            inner = sorted(
                p
                for p in path.iterdir()
                if _is_bag_dir(p) or (p.is_file() and p.suffix in STORAGE_SUFFIXES)
            )
            if not inner:
                raise BagRejected(
                    path,
                    f'is neither a bag (no {METADATA_FILE}, not a .mcap or .db3 file) nor '
                    'a directory of bags; give the directory `ros2 bag record -o` wrote',
                )
            bags.extend(inner)
        elif path.exists():
            raise BagRejected(
                path,
                'is not a bag: give a bag directory, a .mcap or .db3 file, or a directory of bags',
            )
        else:
            raise BagRejected(path, 'does not exist')
    if len(set(bags)) != len(bags):
        raise BagRejected(bags[0], 'the same bag is named twice; each bag is one episode')
    return bags


@dataclass
class TopicSeries:
    """One topic's messages in log order: stamps_ns[i] dates payloads[i]."""

    topic: str
    msgtype: str
    stamps_ns: np.ndarray  # int64
    payloads: list = field(default_factory=list)
    header_stamped: bool = True  # False when any message fell back to its log time


_TYPESTORE = None


def _typestore():
    global _TYPESTORE
    if _TYPESTORE is None:
        _TYPESTORE = get_typestore(Stores.ROS2_JAZZY)
    return _TYPESTORE


def _storage_failure(bag: Path, exc: BaseException) -> BagRejected:
    return BagRejected(
        bag,
        f'cannot be read ({type(exc).__name__}: {exc}); the storage file is truncated or '
        'corrupt (an interrupted recording?). Re-record it, or recover what is readable '
        '(MCAP: `mcap recover`; sqlite3: `sqlite3 FILE .recover`) and convert that',
    )


def _describe_topics(reader: Reader) -> str:
    counts: dict[tuple[str, str], int] = {}
    for c in reader.connections:
        counts[(c.topic, c.msgtype)] = counts.get((c.topic, c.msgtype), 0) + c.msgcount
    return (
        ', '.join(f'{t} ({ty}, {n} msgs)' for (t, ty), n in sorted(counts.items())) or 'no topics'
    )


# Errors a damaged storage file raises somewhere in rosbags, its sqlite (apsw) and MCAP
# (struct unpacking, decompression) layers, or while deserializing a garbled message.
def _storage_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [
        ReaderError,
        struct.error,
        EOFError,
        OSError,
        IndexError,
        KeyError,
        ValueError,
    ]
    try:
        import apsw

        errors.append(apsw.Error)
    except ImportError:  # pragma: no cover - rosbags depends on apsw
        pass
    try:
        from rosbags.serde import SerdeError

        errors.append(SerdeError)
    except ImportError:  # pragma: no cover
        pass
    return tuple(errors)


@dataclass(frozen=True)
class TopicRequest:
    """A topic to read: the message types accepted on it, and what to keep of each message."""

    types: tuple[str, ...]
    decode: Callable[[str, object], object]  # (msgtype, message) -> payload kept in memory
    optional: bool = False  # absent or empty: left out of the result, not refused
    hint: str = ''  # what to do, added to the refusal of a missing topic or a wrong type
    type_hint: str = ''  # what to do, added to the refusal of a wrong type only


def read_topics(bag, wanted: Mapping[str, TopicRequest]) -> dict[str, TopicSeries]:
    """
    Read the `wanted` topics of `bag` into one TopicSeries each.

    Each message is deserialized and handed to its topic's `decode` at once, so only what
    decode keeps (a resized frame, a position vector) stays in memory, never the raw bag.
    decode may raise BagRejected, or ValueError for a message it refuses (wrapped with the
    topic and bag). Refuses a missing or empty topic (unless the request is optional: then
    it is left out), a topic of an unexpected type, stamps going backwards on a topic, and
    storage files that are truncated or corrupt.
    """
    bag = Path(bag)
    storage_errors = _storage_errors()
    series: dict[str, TopicSeries] = {}
    try:
        with Reader(bag) as reader:
            connections = _select(bag, reader, wanted)
            described = _describe_topics(reader)
            stamps: dict[str, list[int]] = {t: [] for t in wanted}
            payloads: dict[str, list] = {t: [] for t in wanted}
            header_stamped = dict.fromkeys(wanted, True)
            typestore = _typestore()
            for connection, log_time, raw in reader.messages(connections=connections):
                topic, msgtype = connection.topic, connection.msgtype
                msg = typestore.deserialize_cdr(raw, msgtype)
                stamp = header_stamp_ns(msg)
                if stamp == 0:
                    stamp, header_stamped[topic] = int(log_time), False
                if stamps[topic] and stamp < stamps[topic][-1]:
                    raise BagRejected(
                        bag,
                        f'time goes backwards on {topic}: message {len(stamps[topic])} is '
                        f"stamped {stamp} ns, before the previous one's {stamps[topic][-1]} ns. "
                        "Fix the publisher's clock (or its stamps) and re-record",
                    )
                try:
                    payloads[topic].append(wanted[topic].decode(msgtype, msg))
                except BagRejected:
                    raise
                except ValueError as exc:
                    raise BagRejected(bag, f'{topic} message {len(stamps[topic])}: {exc}') from exc
                stamps[topic].append(stamp)
    except BagRejected:
        raise
    except FileNotFoundError as exc:
        raise BagRejected(
            bag,
            f'is not a complete bag ({exc}); give the directory `ros2 bag record` wrote, '
            'or run `ros2 bag reindex` on it',
        ) from exc
    except storage_errors as exc:
        raise _storage_failure(bag, exc) from exc
    for topic in wanted:
        if not stamps[topic] and wanted[topic].optional:
            continue
        if not stamps[topic]:
            raise BagRejected(
                bag,
                f'topic {topic} has no messages in the bag; it has: {described}. '
                'Record it, or pass the topic that carries it' + _hint(wanted[topic]),
            )
        series[topic] = TopicSeries(
            topic,
            next(c.msgtype for c in connections if c.topic == topic),
            np.asarray(stamps[topic], dtype=np.int64),
            payloads[topic],
            header_stamped[topic],
        )
    return series


def _select(bag: Path, reader: Reader, wanted: Mapping[str, TopicRequest]) -> list:
    chosen = []
    for topic, request in wanted.items():
        types = request.types
        found = [c for c in reader.connections if c.topic == topic]
        if not found and request.optional:
            continue
        if not found:
            raise BagRejected(
                bag,
                f'topic {topic} is not in the bag; it has: {_describe_topics(reader)}. '
                'Pass the right topic name, or record it' + _hint(request),
            )
        wrong = sorted({c.msgtype for c in found if c.msgtype not in types})
        if wrong:
            raise BagRejected(
                bag,
                f'topic {topic} carries {", ".join(wrong)}; expected {" or ".join(types)}'
                + _hint(request, request.type_hint),
            )
        chosen.extend(found)
    return chosen


def _hint(request: TopicRequest, *more: str) -> str:
    hints = [h for h in (request.hint, *more) if h]
    return f' ({"; ".join(hints)})' if hints else ''
