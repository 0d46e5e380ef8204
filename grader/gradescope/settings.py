"""What students see of a grade on Gradescope: the [gradescope] table of the assignment file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from grader.errors import AssignmentError

VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")
"""Gradescope's values for a test's, the submission's and stdout's visibility."""


@dataclass(frozen=True)
class GradescopeSettings:
    """The [gradescope] table, checked."""

    visibility: str = "visible"
    """Every test's visibility unless `tests` names it; also results.json's top level."""
    stdout_visibility: str = "hidden"
    """run_autograder's log (isolation, seed, timings) is for instructors by default."""
    tests: Mapping[str, str] = field(default_factory=dict)
    """Item name (`gd.target_probability`) -> its visibility."""

    @classmethod
    def from_table(cls, table: Mapping) -> "GradescopeSettings":
        unknown = set(table) - {"visibility", "stdout_visibility", "tests"}
        if unknown:
            raise AssignmentError(f"unknown keys in [gradescope]: {sorted(unknown)}")
        settings = cls(visibility=table.get("visibility", "visible"),
                       stdout_visibility=table.get("stdout_visibility", "hidden"),
                       tests=dict(table.get("tests", {})))
        for where, value in [("visibility", settings.visibility),
                             ("stdout_visibility", settings.stdout_visibility),
                             *((f"tests.{name!r}", v) for name, v in settings.tests.items())]:
            if value not in VISIBILITIES:
                raise AssignmentError(f"[gradescope] {where} = {value!r}: use one of "
                                      f"{', '.join(VISIBILITIES)}")
        return settings

    def visibility_of(self, name: str, report_visibility: str) -> str:
        """A test's visibility: an item hidden in the report stays hidden."""
        if report_visibility == "hidden":
            return "hidden"
        return self.tests.get(name, self.visibility)
