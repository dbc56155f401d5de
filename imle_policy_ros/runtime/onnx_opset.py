# Copyright 2026 The imle_policy_ros Contributors
# SPDX-License-Identifier: MIT
"""
Read the opset of an .onnx file without the `onnx` package.

The deploy host has onnxruntime but not necessarily `onnx`, and the bundle loader wants to
refuse a model with an unsupported opset *before* handing it to ONNX Runtime (whose error
for that case is long and names no file). An .onnx file is a serialized `ModelProto`; the
opsets are its top-level field 8 (`repeated OperatorSetIdProto opset_import`), and
`OperatorSetIdProto` is {1: string domain, 2: int64 version}. Reading that needs only the
protobuf wire format: walk the top-level fields, skip the ones we do not need (the graph,
which holds the weights, is skipped with a seek, not read), and decode field 8.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import BinaryIO

from .policy_spec import BundleError

# Protobuf wire types (https://protobuf.dev/programming-guides/encoding/).
_VARINT, _FIXED64, _LEN, _FIXED32 = 0, 1, 2, 5
_OPSET_IMPORT_FIELD = 8
_DEFAULT_DOMAINS = ('', 'ai.onnx')
_MAX_VARINT_BYTES = 10  # a 64-bit varint takes at most 10 bytes


class _WireError(Exception):
    """The bytes are not a well-formed protobuf message."""


def _read_varint(stream: BinaryIO) -> int | None:
    """Next varint, or None at a clean end of stream (no byte read)."""
    result = 0
    for i in range(_MAX_VARINT_BYTES):
        byte = stream.read(1)
        if not byte:
            if i == 0:
                return None
            raise _WireError('stream ends inside a varint')
        result |= (byte[0] & 0x7F) << (7 * i)
        if not byte[0] & 0x80:
            return result
    raise _WireError('varint longer than 10 bytes')


def _iter_fields(stream: BinaryIO, end: int, keep: frozenset[int]):
    """
    Yield (field number, wire type, value) for each field up to offset `end`.

    value is the int of a varint, the payload bytes of a length-delimited field whose number
    is in `keep`, and None otherwise (skipped with a seek, so a large graph costs nothing).
    Any malformation (bad wire type, a length running past `end`, field number 0) raises
    _WireError, so random bytes are rejected instead of yielding garbage.
    """
    while stream.tell() < end:
        key = _read_varint(stream)
        if key is None:
            raise _WireError('stream ends before the message does')
        field, wire_type = key >> 3, key & 0x7
        if field == 0:
            raise _WireError('field number 0')
        value: int | bytes | None = None
        if wire_type == _VARINT:
            value = _read_varint(stream)
            if value is None:
                raise _WireError('stream ends inside a field')
        elif wire_type == _FIXED64:
            stream.seek(8, os.SEEK_CUR)
        elif wire_type == _FIXED32:
            stream.seek(4, os.SEEK_CUR)
        elif wire_type == _LEN:
            length = _read_varint(stream)
            if length is None or stream.tell() + length > end:
                raise _WireError(f'field {field} runs past the end of the message')
            if field in keep:
                value = stream.read(length)
                if len(value) != length:
                    raise _WireError('stream ends inside a field')
            else:
                stream.seek(length, os.SEEK_CUR)
        else:  # groups (3, 4) are not used by ONNX; 6 and 7 do not exist
            raise _WireError(f'unexpected wire type {wire_type} for field {field}')
        if stream.tell() > end:
            raise _WireError('a field runs past the end of the message')
        yield field, wire_type, value


def _parse_opset_id(payload: bytes) -> tuple[str, int]:
    """Decode one OperatorSetIdProto into (domain, version); a missing domain means ""."""
    domain, version = '', None
    for field, wire_type, value in _iter_fields(io.BytesIO(payload), len(payload), frozenset({1})):
        if field == 1 and wire_type == _LEN:
            try:
                domain = value.decode('utf-8')
            except UnicodeDecodeError as exc:
                raise _WireError('opset domain is not UTF-8') from exc
        elif field == 2 and wire_type == _VARINT:
            version = value
    if version is None:
        raise _WireError('opset_import entry without a version')
    return domain, version


def read_opsets(path: str | os.PathLike) -> dict[str, int]:
    """
    All opset imports of the model at `path`: domain -> version ("ai.onnx" folded into "").

    Raises BundleError naming the file if it cannot be read or is not a protobuf ModelProto.
    """
    path = Path(path)
    try:
        with path.open('rb') as stream:
            end = stream.seek(0, os.SEEK_END)
            stream.seek(0)
            opsets: dict[str, int] = {}
            keep = frozenset({_OPSET_IMPORT_FIELD})
            for field, wire_type, value in _iter_fields(stream, end, keep):
                if field == _OPSET_IMPORT_FIELD and wire_type == _LEN:
                    domain, version = _parse_opset_id(value)
                    opsets['' if domain in _DEFAULT_DOMAINS else domain] = version
    except OSError as exc:
        raise BundleError(f'{path}: cannot be read ({exc})') from exc
    except _WireError as exc:
        raise BundleError(
            f'{path}: not a parseable ONNX model ({exc}); the file is corrupt or truncated, '
            f're-export it'
        ) from exc
    return opsets


def read_default_opset(path: str | os.PathLike) -> int:
    """Read the default ONNX domain's ("" / "ai.onnx") opset version from the model at `path`."""
    opsets = read_opsets(path)
    if '' not in opsets:
        raise BundleError(
            f'{path}: not a parseable ONNX model (no opset_import for the default domain '
            f"'ai.onnx'); the file is corrupt or not an ONNX model, re-export it"
        )
    return opsets['']
