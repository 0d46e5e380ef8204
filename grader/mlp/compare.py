"""Comparing one output of the student with the expected one, in float64.

Tolerance is relative to the array's scale: |s - e| <= rtol*|e| + atol_scale*max|e|, so an
element that should be 1e-9 next to others of order 1 is not held to 1e-13 (a float32
answer cannot meet that), while any real mistake, which moves values by a good part of the
scale, fails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this scale (all-zero expected arrays) the absolute bound stops shrinking.
MIN_ATOL = 1e-12


@dataclass
class Check:
    """The verdict on one output array of one case."""

    status: str
    """"passed", "failed" (wrong values) or "error" (missing, wrong type or shape, NaN)."""
    message: str = ""
    """For the student: what is wrong, never the values."""
    detail: str = ""
    """For staff: the size of the error."""


def expected_shape_text(shape: tuple) -> str:
    return "a scalar" if shape == () else f"shape {tuple(shape)}"


def compare_output(student: np.ndarray | None, expected: np.ndarray, *, name: str, rtol: float,
                   atol_scale: float, description: str | None = None,
                   alternative: np.ndarray | None = None, slack: np.ndarray | float = 0.0) -> Check:
    """Check one output; `name` is how the student's messages call it, `description` what
    the harness says came back instead of an array (for a missing one), `alternative` an
    also-accepted value per element, `slack` an extra allowed error per element (float32's
    own error where a result cancels)."""
    if student is None:
        what = description or "nothing"
        return Check("error", f"{name} is {what}; expected a tensor of {expected_shape_text(expected.shape)}")
    if expected.shape == () and student.size == 1:  # J as a one-element tensor
        student = student.reshape(())
    if student.shape != expected.shape and _same_up_to_unit_axes(student.shape, expected.shape):
        student = student.reshape(expected.shape)
    if student.shape != expected.shape:
        return Check("error", f"{name} has shape {tuple(student.shape)}; expected "
                              f"{expected_shape_text(expected.shape)}")
    if not np.all(np.isfinite(student)):
        bad = "NaN" if np.any(np.isnan(student)) else "inf"
        return Check("error", f"{name} contains {bad}")
    ok = within_tolerance(student, expected, rtol, atol_scale, slack)
    if alternative is not None:
        ok |= within_tolerance(student, alternative, rtol, atol_scale, slack)
    if np.all(ok):
        return Check("passed")
    error = np.abs(student - expected)
    return Check("failed", f"{name} is wrong",
                 f"{name}: {int(np.size(ok) - np.count_nonzero(ok))} of {np.size(ok)} elements "
                 f"off, max |error| {error.max():.3g}, max |expected| {np.abs(expected).max():.3g}")


def _same_up_to_unit_axes(student: tuple, expected: tuple) -> bool:
    """A squeeze at size 1 that changes nothing in use: the same elements, and broadcast
    against the expected shape it gives that shape (a (1, h) gradient as (h,), b as a
    scalar at size 1; not (B, 1) as (B,), which broadcasts to (B, B) in a loss or an update)."""
    if int(np.prod(student)) != int(np.prod(expected)):
        return False
    try:
        return np.broadcast_shapes(student, expected) == tuple(expected)
    except ValueError:
        return False


def within_tolerance(student: np.ndarray, expected: np.ndarray, rtol: float,
                     atol_scale: float, slack: np.ndarray | float = 0.0) -> np.ndarray:
    """Element-wise: |s - e| <= rtol*|e| + atol_scale*max|e| + slack."""
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    atol = max(atol_scale * scale, MIN_ATOL)
    return np.abs(student - expected) <= rtol * np.abs(expected) + atol + slack
