"""Reading what a harness wrote in the sandbox's /work/out, without trusting any of it.

The student's code ran in the same process as the harness, so every byte here may be
hostile. out/results.jsonl is the only file read: bounded, refused when it is a symlink or
a special file (a link to /dev/zero would hang the grader), parsed as JSON only. An array in
a line is a shape and base64 bytes read as little-endian float64, after the shape is
checked against a bounded size and the byte count against the shape: no pickle, no dtype
of the sandbox's choosing, no header to parse.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.sandbox.limits import Limits

# Largest single array accepted: 4 M elements (32 MB as float64); hw1's largest is ~26 k.
MAX_ARRAY_ELEMENTS = 4_000_000
# Most dimensions an array may have (numpy's own limit is 64).
MAX_DIMENSIONS = 32
_ARRAY_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass
class CaseOutput:
    """One case's result as the harness reported it."""

    case_id: str
    record: dict
    """The JSON line the harness wrote (status, message, descriptions...)."""
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    """Arrays named in the record that were present and valid, as float64."""
    rejected: dict[str, str] = field(default_factory=dict)
    """Arrays named in the record that could not be read, with the reason."""


def read_results(workdir: Path, limits: Limits,
                 max_elements: int = MAX_ARRAY_ELEMENTS) -> dict[str, CaseOutput]:
    """Parse <workdir>/out/results.jsonl with each case's arrays; bad lines are skipped."""
    max_bytes = limits.file_size_mb * 1024 * 1024
    raw = _read_regular_file(Path(workdir) / "out" / "results.jsonl", max_bytes)
    results: dict[str, CaseOutput] = {}
    if raw is None:
        return results
    for line in raw.split(b"\n"):
        record = _parse_line(line)
        if record is None:
            continue
        case_id = record["case"]
        output = CaseOutput(case_id=case_id, record=record)
        for name, encoded in record.pop("arrays", {}).items():
            if not (set(name) <= _ARRAY_NAME_CHARS and 0 < len(name) <= 120):
                continue
            array, reason = decode_array(encoded, max_elements)
            if array is None:
                output.rejected[name] = reason
            else:
                output.arrays[name] = array
        results[case_id] = output  # a repeated case id: the last line wins
    return results


def _read_regular_file(path: Path, max_bytes: int) -> bytes | None:
    """The file's first `max_bytes` bytes, or None if it is missing, a link or not a file."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None
        return handle.read(max_bytes)


def _parse_line(line: bytes) -> dict | None:
    if not line.strip():
        return None
    try:
        record = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    case_id = record.get("case")
    if not (isinstance(case_id, str) and 0 < len(case_id) <= 120 and set(case_id) <= _ARRAY_NAME_CHARS):
        return None
    if not isinstance(record.get("arrays", {}), dict):
        return None
    return record


def decode_array(encoded: object, max_elements: int = MAX_ARRAY_ELEMENTS) -> tuple[np.ndarray | None, str]:
    """{"shape": [...], "data": base64} as a float64 array, or None and why it was refused."""
    if not isinstance(encoded, dict):
        return None, "not an array"
    shape, data = encoded.get("shape"), encoded.get("data")
    if not (isinstance(shape, list) and len(shape) <= MAX_DIMENSIONS
            and all(type(size) is int and size >= 0 for size in shape) and isinstance(data, str)):
        return None, "bad shape or data"
    elements = 1
    for size in shape:
        elements *= size
    # Each size bounded too: (2**62, 0) has no elements, but numpy refuses to make it.
    if elements > max_elements or any(size > max_elements for size in shape):
        return None, f"too large ({tuple(shape)})"
    if len(data) != 4 * -(-8 * elements // 3):  # base64 length of 8 bytes per element
        return None, f"{len(data)} base64 characters do not fit the shape {tuple(shape)}"
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        return None, f"unreadable ({error})"
    return np.frombuffer(bytearray(raw), dtype="<f8").reshape(shape).astype(np.float64, copy=False), ""
