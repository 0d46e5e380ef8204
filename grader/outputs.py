"""Reading what a harness wrote in the sandbox's /work/out, without trusting any of it.

The student's code ran in the same process as the harness, so every byte here may be
hostile: lines are bounded and parsed as JSON only, arrays are loaded with
`allow_pickle=False` after their header says a plain numeric dtype and a bounded size, and
symlinks or special files are refused (a link to /dev/zero would hang the grader).
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.sandbox.limits import Limits

# Largest single array accepted: 4 M elements (32 MB as float64); hw1's largest is ~10 k.
MAX_ARRAY_ELEMENTS = 4_000_000
# Longest results.jsonl line read (bytes); a case record is well under 4 kB.
MAX_LINE_BYTES = 65_536
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
    """Parse <workdir>/out/results.jsonl and load each case's arrays; bad lines are skipped."""
    out_dir = Path(workdir) / "out"
    max_bytes = limits.file_size_mb * 1024 * 1024
    raw = _read_regular_file(out_dir / "results.jsonl", max_bytes)
    results: dict[str, CaseOutput] = {}
    if raw is None:
        return results
    for line in raw.split(b"\n"):
        record = _parse_line(line)
        if record is None:
            continue
        case_id = record["case"]
        output = CaseOutput(case_id=case_id, record=record)
        for name in record.get("arrays", []):
            if not (isinstance(name, str) and set(name) <= _ARRAY_NAME_CHARS and len(name) <= 120):
                continue
            array, reason = load_array(out_dir / f"{case_id}.{name}.npy", max_elements)
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
    if not line.strip() or len(line) > MAX_LINE_BYTES:
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
    if not isinstance(record.get("arrays", []), list):
        return None
    return record


def load_array(path: Path, max_elements: int = MAX_ARRAY_ELEMENTS) -> tuple[np.ndarray | None, str]:
    """A .npy file as a float64 array, or None and why it was refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None, "missing"
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            return None, "not a regular file"
        try:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(handle)
            elif version in ((2, 0), (3, 0)):
                shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                return None, "unknown .npy version"
        except (ValueError, OSError, SyntaxError, TypeError) as error:
            return None, f"bad .npy header ({error})"
        if dtype.hasobject or dtype.kind not in "fiub" or dtype.fields is not None:
            return None, f"non-numeric dtype {dtype}"
        if int(np.prod(shape, dtype=np.int64)) > max_elements:
            return None, f"too large ({shape})"
        handle.seek(0)
        try:
            array = np.load(handle, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            return None, f"unreadable ({error})"
    return np.asarray(array, dtype=np.float64), ""
