"""The arrays a harness reads, packed as the one file in/inputs.npz (grader/outputs.py reads
what comes back). One uncompressed .npz instead of a file per array: the harness opens it
once and reads members by name (common.open_inputs), and the sandbox writes one file."""

from __future__ import annotations

import io
from typing import Mapping

import numpy as np

INPUTS_FILE = "in/inputs.npz"


def inputs_npz(arrays: Mapping[str, np.ndarray]) -> bytes:
    """`arrays` (name -> array, dtype kept) as the bytes of in/inputs.npz."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
