"""The [mlp] table of the assignment file, typed and checked once."""

from __future__ import annotations

from dataclasses import dataclass

from grader.errors import AssignmentError
from grader.mlp.items import ITEMS


@dataclass(frozen=True)
class Settings:
    """The [mlp] table of the assignment file, typed."""

    reference: str
    """The instructor's mlp.py, relative to the repository root."""
    rtol: float
    """Relative tolerance of a compared element."""
    atol_scale: float
    """Absolute tolerance as a share of the largest expected element."""
    float32_error_factor: float
    """Safety factor on float32's own error on a case."""
    case_time_s: float
    """Wall-clock seconds one case's call may take inside the harness."""
    max_scores: dict[str, float]
    """item -> its points."""
    counts: dict[str, int]
    """item -> its number of hidden cases."""

    @classmethod
    def from_config(cls, table: dict) -> "Settings":
        try:
            items = table["items"]
            missing = set(ITEMS) - set(items)
            if missing:
                raise AssignmentError(f"the assignment file has no [mlp.items] for {sorted(missing)}")
            return cls(reference=table["reference"], rtol=float(table["rtol"]),
                       atol_scale=float(table["atol_scale"]),
                       float32_error_factor=float(table["float32_error_factor"]),
                       case_time_s=float(table["case_time_s"]),
                       max_scores={item: float(items[item]["max_score"]) for item in ITEMS},
                       counts={item: int(items[item]["cases"]) for item in ITEMS})
        except (KeyError, TypeError, ValueError) as error:
            raise AssignmentError(f"bad [mlp] table in the assignment file: {error!r}") from error
