"""The [gd] tables of the assignment file, read once into a typed, validated object.

Every number the gd grade uses (points, threshold, iterations, time) lives in
hidden_tests/<assignment>.toml; a missing or mistyped key is an error of the installation,
raised here at once rather than as a KeyError halfway through a grade.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from grader.errors import AssignmentError

REPO_ROOT = Path(__file__).resolve().parents[2]

CHECKS = ("target_probability", "shape_and_range", "model_unchanged", "finite")
"""The scored items, reported as gd.<check>, in report order."""


@dataclass(frozen=True)
class CheckSpec:
    """Points and visibility of one gd check ([gd.checks.<name>])."""

    max_score: float
    visibility: str = "visible"


@dataclass(frozen=True)
class GdConfig:
    """The settings of the gd grade ([gd])."""

    classifier: Path
    """The classifier's weights (.npz of state_dict arrays), relative to the repository root."""
    classifier_sha256: str
    """Digest of that file: a retrained or corrupted file must not silently change grades."""
    image_size: int
    """Height and width in pixels of the start image; the classifier's input size."""
    labels: int
    """Target classes per grade, drawn from the seed (each is one call of gradient_descent)."""
    iterations: int
    """Passed to gradient_descent(..., iterations=N)."""
    threshold: float
    """Softmax probability of the target class the returned image must reach."""
    range_tolerance: float
    """How far outside [0, 1] a value may be and still count as inside (float rounding)."""
    call_time_s: float
    """Wall-clock seconds one gradient_descent call may take before it counts as timed out."""
    checks: dict[str, CheckSpec]

    @classmethod
    def from_table(cls, table: dict) -> "GdConfig":
        """Typed settings from the raw [gd] table; AssignmentError names what is wrong."""
        table = dict(table)
        checks_table = table.pop("checks", {})
        if set(checks_table) != set(CHECKS):
            raise AssignmentError(f"[gd.checks] must have exactly {list(CHECKS)}, "
                                  f"not {sorted(checks_table)}")
        known = {f.name for f in fields(cls)} - {"checks"}
        if set(table) != known:
            raise AssignmentError(f"[gd] keys differ from the expected ones: missing "
                                  f"{sorted(known - set(table))}, unknown {sorted(set(table) - known)}")
        try:
            checks = {name: CheckSpec(max_score=float(checks_table[name]["max_score"]),
                                      visibility=str(checks_table[name].get("visibility", "visible")))
                      for name in CHECKS}
            config = cls(
                classifier=REPO_ROOT / str(table["classifier"]),
                classifier_sha256=str(table["classifier_sha256"]),
                image_size=int(table["image_size"]),
                labels=int(table["labels"]),
                iterations=int(table["iterations"]),
                threshold=float(table["threshold"]),
                range_tolerance=float(table["range_tolerance"]),
                call_time_s=float(table["call_time_s"]),
                checks=checks,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise AssignmentError(f"bad [gd] table: {error!r}") from error
        if not 0.0 < config.threshold < 1.0:
            raise AssignmentError("[gd] threshold must be a probability strictly between 0 and 1")
        if config.labels < 1 or config.iterations < 1:
            raise AssignmentError("[gd] labels and iterations must be at least 1")
        return config
