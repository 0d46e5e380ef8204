"""The [mlp] table of the assignment file, typed and checked once."""

from __future__ import annotations

from dataclasses import dataclass

from grader.errors import AssignmentError
from grader.mlp.items import ITEMS


@dataclass
class Settings:
    """The [mlp] table of the assignment file, typed."""

    reference: str
    rtol: float
    atol_scale: float
    float32_error_factor: float
    case_time_s: float
    max_scores: dict[str, float]
    counts: dict[str, int]

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
