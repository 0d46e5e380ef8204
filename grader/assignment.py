"""An assignment file (hidden_tests/<name>.toml): weights, cases, tolerances, limits, rules.

Read and checked once, by `load_assignment`, into typed records: the engine reads
`Assignment.mlp`, `.gd`, `.integrity` and `.limits_for(part)`; the sandbox gets the Limits;
the service reads [course]; code hard-codes none of these numbers. A mistyped or missing key
is an AssignmentError at load, never a KeyError halfway through a grade.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from grader.errors import AssignmentError
from grader.gd.config import GdConfig
from grader.integrity_policy import IntegrityPolicy
from grader.mlp.settings import Settings as MlpSettings
from grader.sandbox.limits import Limits

HIDDEN_TESTS_DIR = Path(__file__).resolve().parents[1] / "hidden_tests"
_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")
PARTS = ("mlp", "gd")
"""The graded files, by the name of their table ([mlp], [gd], [limits.mlp], [limits.gd])."""


@dataclass(frozen=True)
class Assignment:
    """The parsed, checked assignment file."""

    name: str
    mlp: MlpSettings
    """[mlp]: reference, tolerances, per-item points and case counts."""
    gd: GdConfig
    """[gd]: classifier, threshold, iterations, per-check points."""
    limits: Mapping[str, Limits]
    """Sandbox limits per part (PARTS): [limits] keys, overridden by [limits.<part>]."""
    integrity: IntegrityPolicy | None = None
    """[integrity]: what is flagged and which items a flag scores 0."""
    title: str = ""
    course: dict = field(default_factory=dict)
    """The raw [course] table: the service's rules, typed by the service (app/course.py)."""
    gradescope: dict = field(default_factory=dict)
    """The raw [gradescope] table, typed by the Gradescope bundle (grader/gradescope) only."""

    def limits_for(self, part: str) -> Limits:
        """Sandbox limits of one file's run (`part` one of PARTS)."""
        return self.limits[part]


def load_assignment(name: str, directory: Path = HIDDEN_TESTS_DIR) -> Assignment:
    """Read and check hidden_tests/<name>.toml; AssignmentError if it is missing, unreadable
    or any of its tables is wrong."""
    if not _NAME.match(name):
        raise AssignmentError(f"no such assignment: {name!r}")
    path = Path(directory) / f"{name}.toml"
    try:
        with open(path, "rb") as handle:
            table = tomllib.load(handle)
    except FileNotFoundError:
        raise AssignmentError(f"no such assignment: {name!r}") from None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise AssignmentError(f"cannot read {path.name}: {error}") from error
    return Assignment(name=name, title=table.get("title", ""),
                      mlp=MlpSettings.from_config(table.get("mlp", {})),
                      gd=GdConfig.from_table(table.get("gd", {})),
                      limits=_limits_by_part(name, table.get("limits", {})),
                      course=table.get("course", {}), gradescope=table.get("gradescope", {}),
                      integrity=IntegrityPolicy.from_table(table.get("integrity")))


def _limits_by_part(name: str, table: dict) -> dict[str, Limits]:
    shared = {k: v for k, v in table.items() if not isinstance(v, dict)}
    try:
        return {part: Limits.from_config({**shared, **table.get(part, {})}) for part in PARTS}
    except (TypeError, ValueError) as error:
        raise AssignmentError(f"bad [limits] in {name}.toml: {error}") from error
