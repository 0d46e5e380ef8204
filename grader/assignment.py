"""An assignment file (hidden_tests/<name>.toml): weights, cases, tolerances, limits, rules.

The engine reads [mlp], [gd] and [integrity], the sandbox [limits], the service [course]; code
hard-codes none of these numbers.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import AssignmentError
from grader.integrity_policy import IntegrityPolicy
from grader.sandbox.limits import Limits

HIDDEN_TESTS_DIR = Path(__file__).resolve().parents[1] / "hidden_tests"
_NAME = re.compile(r"^[a-z0-9_-]{1,40}$")


@dataclass
class Assignment:
    """The parsed assignment file."""

    name: str
    title: str = ""
    mlp: dict = field(default_factory=dict)
    """The raw [mlp] table (grader/mlp)."""
    gd: dict = field(default_factory=dict)
    """The raw [gd] table (grader/gd)."""
    limits: dict = field(default_factory=dict)
    """The raw [limits] table: shared keys, and [limits.mlp] / [limits.gd] per file."""
    course: dict = field(default_factory=dict)
    """The raw [course] table, read by the service, never by the grader."""
    gradescope: dict = field(default_factory=dict)
    """The raw [gradescope] table, read by the Gradescope bundle (grader/gradescope) only."""
    integrity: IntegrityPolicy | None = None
    """The [integrity] table, typed: what is flagged and which items a flag scores 0."""

    def limits_for(self, part: str) -> Limits:
        """Sandbox limits of one file's run: [limits] keys, overridden by [limits.<part>]."""
        shared = {k: v for k, v in self.limits.items() if not isinstance(v, dict)}
        specific = self.limits.get(part, {})
        try:
            return Limits.from_config({**shared, **specific})
        except (TypeError, ValueError) as error:
            raise AssignmentError(f"bad [limits] in {self.name}.toml: {error}") from error


def load_assignment(name: str, directory: Path = HIDDEN_TESTS_DIR) -> Assignment:
    """Read hidden_tests/<name>.toml; AssignmentError if it is missing or unreadable."""
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
    return Assignment(name=name, title=table.get("title", ""), mlp=table.get("mlp", {}),
                      gd=table.get("gd", {}), limits=table.get("limits", {}),
                      course=table.get("course", {}), gradescope=table.get("gradescope", {}),
                      integrity=IntegrityPolicy.from_table(table.get("integrity")))
