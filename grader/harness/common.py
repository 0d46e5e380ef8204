"""Helpers shared by the harnesses that run inside the sandbox, next to the student's code.

Only stdlib, numpy and torch: the grader package is not visible in the sandbox. Everything
here treats the student's module as hostile: results leave only as JSON lines, arrays in
them as base64 float64, which the trusted side checks again (grader/outputs.py).

Inputs come in one in/inputs.npz and results leave in one out/results.jsonl: with one file
per array (~340 in, ~220 out for mlp.py) the files alone cost more CPU than the cases.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import re
import sys
import traceback
from pathlib import Path

import numpy as np

# /work inside the sandbox; AUTOGRADER_WORK_DIR lets a developer run a harness on a plain
# directory (the sandbox's environment holds only PATH, HOME, LANG and thread counts).
WORK_DIR = Path(os.environ.get("AUTOGRADER_WORK_DIR", "/work"))
SUBMISSION_DIR = WORK_DIR / "submission"
IN_DIR = WORK_DIR / "in"
OUT_DIR = WORK_DIR / "out"

# A traceback longer than this (characters) is cut: enough for ~20 frames of student code.
MAX_TRACEBACK_CHARS = 4000
_CASE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,120}$")


class SubmissionImportError(Exception):
    """The student's module could not be imported; the message is meant for the student."""


def load_job() -> dict:
    """The job description the trusted side wrote: /work/in/job.json."""
    with open(IN_DIR / "job.json", encoding="utf-8") as handle:
        return json.load(handle)


def open_inputs():
    """The input arrays the trusted side wrote, /work/in/inputs.npz: `inputs[name]` reads one
    (lazily, allow_pickle=False)."""
    return np.load(IN_DIR / "inputs.npz", allow_pickle=False)


def import_submission(module_name: str):
    """Import /work/submission/<module_name>.py, or raise SubmissionImportError in plain words."""
    if str(SUBMISSION_DIR) not in sys.path:
        sys.path.append(str(SUBMISSION_DIR))
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:
            raise SubmissionImportError(f"{module_name}.py was not found") from None
        raise SubmissionImportError(
            f"{module_name}.py imports the module '{error.name}', which the grader does not have:"
            f"\n{student_traceback(error)}") from None
    except SyntaxError as error:
        raise SubmissionImportError(
            f"{module_name}.py has a syntax error on line {error.lineno}: {error.msg}") from None
    except BaseException as error:  # noqa: BLE001 - anything the student's import raises
        if isinstance(error, KeyboardInterrupt):
            raise
        raise SubmissionImportError(
            f"importing {module_name}.py raised {type(error).__name__}:"
            f"\n{student_traceback(error)}") from None


def student_traceback(exc: BaseException) -> str:
    """The traceback of `exc` restricted to frames in the student's files, bounded in length."""
    frames = [frame for frame in traceback.extract_tb(exc.__traceback__)
              if frame.filename.startswith(str(SUBMISSION_DIR))]
    lines = []
    for frame in frames:
        lines.append(f'  File "{Path(frame.filename).name}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.append(_describe_exception(exc))
    text = "\n".join(lines)
    if len(text) > MAX_TRACEBACK_CHARS:
        text = "...\n" + text[-MAX_TRACEBACK_CHARS:]
    return text


def _describe_exception(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a student's exception class may break __str__
        message = ""
    message = message[:500]
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def to_array(value) -> tuple[np.ndarray | None, str]:
    """`value` as a float64 array when it is a tensor, ndarray or real number; else None.

    The description says what the value was ("a Tensor of dtype float32 and shape (2, 3)"),
    for feedback on wrong types and shapes.
    """
    import torch  # inside: a harness that never converts tensors need not pay for it

    if isinstance(value, torch.Tensor):
        description = f"a Tensor of dtype {str(value.dtype).replace('torch.', '')} and shape {tuple(value.shape)}"
        if value.is_complex() or value.dtype == torch.bool or value.is_sparse:
            return None, description
        try:
            return value.detach().to("cpu", torch.float64).numpy().copy(), description
        except (RuntimeError, TypeError) as error:
            return None, f"{description} that cannot be read ({error})"
    if isinstance(value, np.ndarray):
        description = f"a numpy array of dtype {value.dtype} and shape {value.shape}"
        if value.dtype.kind not in "fiu":
            return None, description
        return value.astype(np.float64), description
    if isinstance(value, (bool, np.bool_)):
        return None, "a bool"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return np.asarray(value, dtype=np.float64), f"a number ({type(value).__name__})"
    return None, _type_phrase(value)


def _type_phrase(value) -> str:
    if value is None:
        return "None"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    if isinstance(value, (tuple, list)):
        return f"{article} {name} of length {len(value)}"
    return f"{article} {name}"


class ResultWriter:
    """Appends one JSON line per case, its arrays inside, to /work/out/results.jsonl.

    Each line is flushed at once, so a case that hangs or crashes the process keeps the
    results of the cases before it. An array is {"shape": [...], "data": base64 of its
    little-endian float64 bytes}: one format, nothing for the trusted side to parse but JSON.
    """

    def __init__(self, out_dir: Path | None = None):
        self.out_dir = Path(out_dir or OUT_DIR)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._file = open(self.out_dir / "results.jsonl", "a", encoding="utf-8")

    def write(self, case_id: str, record: dict, arrays: dict[str, np.ndarray]) -> None:
        if not _CASE_ID.match(case_id):
            raise ValueError(f"bad case id {case_id!r}")
        encoded = {}
        for name, array in arrays.items():
            if not _CASE_ID.match(name):
                raise ValueError(f"bad array name {name!r}")
            data = np.asarray(array, dtype="<f8")  # tobytes() is C order whatever the strides
            encoded[name] = {"shape": list(data.shape),
                             "data": base64.b64encode(data.tobytes()).decode("ascii")}
        line = {**record, "case": case_id, "arrays": encoded}
        self._file.write(json.dumps(line, default=str) + "\n")
        self._file.flush()

    def close(self) -> None:
        self._file.close()


def run_cuda_on_cpu_if_asked(module_name: str) -> bool:
    """Before importing the submission: if its source names cuda, send CUDA tensors and modules
    to the CPU for the rest of the process (cuda_on_cpu.py). True when it did."""
    import cuda_on_cpu  # next to this file inside the sandbox

    try:
        source = (SUBMISSION_DIR / f"{module_name}.py").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False  # import_submission says the file is missing
    if not cuda_on_cpu.asks_for_cuda(source):
        return False
    cuda_on_cpu.install()
    return True
