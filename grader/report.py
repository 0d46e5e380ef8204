"""The grade report: what `grade()` returns and what every consumer (CLI, API, CSV) renders.

Plain dataclasses with no behaviour beyond serialisation, so the report can cross any
boundary (JSON for the API, rows for the database) without dragging the engine along.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

TestStatus = Literal["passed", "failed", "error", "skipped"]
ReportStatus = Literal["graded", "error"]


@dataclass
class TestResult:
    """One scored item, such as `mlp.relu.backward` or `gd.target_probability`."""

    name: str
    """Dotted name: `mlp.<layer>.<direction>` or `gd.<check>`."""
    layer: str
    """The layer (`linear`, `relu`, ...) or `gd` for the gradient-ascent checks."""
    direction: str
    """`forward` or `backward` for mlp items; the check's name for gd items."""
    score: float
    """Points earned: max_score times the share of cases passed."""
    max_score: float
    """Points this item is worth, from the assignment file."""
    status: TestStatus
    """passed, failed (ran, wrong), error (raised, timed out, wrong type or shape), skipped."""
    visibility: Literal["visible", "hidden"] = "visible"
    """Whether students see this item's output (hidden items show only the score)."""
    output: str = ""
    """Feedback a student can act on; never contains hidden inputs or expected values."""
    staff_output: str = ""
    """For TAs only: enough to reproduce a failing case (case ids, configurations)."""


@dataclass
class IntegrityFlag:
    """A rule of the homework the submission breaks, such as using autograd in backward."""

    code: str
    message: str


@dataclass
class Artifact:
    """A file the grade produced for the student, such as the gd.py image."""

    name: str
    media_type: str
    data: bytes = field(repr=False)


@dataclass
class Report:
    """The outcome of grading one submission."""

    status: ReportStatus
    """`graded`, or `error` when nothing could be graded (then `errors` says why)."""
    score: float
    max_score: float
    seed: int
    """The seed of the hidden cases: the same files and seed give the same report."""
    grader_version: str
    tests: list[TestResult] = field(default_factory=list)
    integrity: list[IntegrityFlag] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Why nothing (or part) could be graded, in words a student understands."""
    artifacts: list[Artifact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the grader did differently from what the code asked, at no cost in points, such as
    running GPU code on the CPU; for the student."""

    def to_dict(self, audience: Literal["student", "staff"] = "student") -> dict:
        """The JSON report of the contract; staff see `staff_output`, students do not."""
        tests = []
        for test in self.tests:
            item = asdict(test)
            staff_output = item.pop("staff_output")
            if test.visibility == "hidden" and audience == "student":
                item["output"] = ""
            if audience == "staff":
                item["staff_output"] = staff_output
            tests.append(item)
        return {
            "status": self.status,
            "score": self.score,
            "max_score": self.max_score,
            "seed": self.seed,
            "grader_version": self.grader_version,
            "tests": tests,
            "integrity": [asdict(flag) for flag in self.integrity],
            "errors": list(self.errors),
            "artifacts": [{"name": a.name, "media_type": a.media_type} for a in self.artifacts],
            "notes": list(self.notes),
        }


@dataclass
class FileGrade:
    """What grading one submitted file yields; the engine merges these into one Report."""

    tests: list[TestResult] = field(default_factory=list)
    integrity: list[IntegrityFlag] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
