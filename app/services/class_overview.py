"""A class at a glance, for TAs: roster, items x students, the commonest named mistakes,
totals, and the queue. The same rule as the scores sheet: only TAs read it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.course import assignment_exists
from app.db import overview as overview_db
from app.db import submissions as submissions_db
from app.db import users as users_db
from app.db import workers as workers_db
from app.db.enums import Role
from app.db.models import User
from app.errors import Forbidden, NotFound
from app.services.submissions import regrade_submission
from app.worker_presence import SEEN_WITHIN_S

RECENT_ERRORS = 10


@dataclass
class RosterRow:
    """A student's standing: the latest submission and the best graded one."""

    name: str
    submissions: int = 0
    latest_id: int | None = None
    latest_status: str | None = None
    latest_score: float | None = None
    latest_at: datetime | None = None
    best_id: int | None = None
    best_score: float | None = None
    max_score: float | None = None
    graded_id: int | None = None
    """The latest graded submission: what the heatmap shows of this student."""


@dataclass(frozen=True)
class ItemSummary:
    """One item across the class (each student's latest graded submission)."""

    name: str
    passed: int
    graded: int
    mistake: str | None
    """The named mistake most students' feedback starts with, if any."""
    mistake_students: int

    @property
    def passed_share(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class ErrorRow:
    submission_id: int
    user: str
    message: str


@dataclass
class ClassOverview:
    assignment: str
    roster: list[RosterRow]
    items: list[str]
    cells: dict[str, list[str]]
    """student -> each item's status in the order of `items` ("none": not in the report),
    of the student's latest graded submission; students with none are left out."""
    item_summaries: list[ItemSummary]
    best_scores: list[float]
    max_score: float
    """The largest of the best submissions' (a file left out lowers a submission's own)."""
    counts_by_status: dict[str, int]
    grading_slots: int
    """Grades the live workers can run at once (0: no worker has been seen lately)."""
    recent_errors: list[ErrorRow] = field(default_factory=list)


def _require_ta(reader: User) -> None:
    if reader.role != Role.TA:
        raise Forbidden("only TAs read the class overview")


def read_overview(session: Session, reader: User, assignment: str,
                  now: datetime) -> ClassOverview:
    _require_ta(reader)
    if not assignment_exists(assignment):
        raise NotFound(f"no assignment named {assignment!r}")
    roster = {student.name: RosterRow(student.name)
              for student in users_db.list_users_with_role(session, Role.STUDENT)}
    max_score = 0.0
    for standing in overview_db.standings(session, assignment):
        latest, best, graded = standing.latest, standing.best, standing.latest_graded
        entry = roster.setdefault(latest.user, RosterRow(latest.user))
        entry.submissions = standing.uploads
        entry.latest_id, entry.latest_status = latest.id, latest.status
        entry.latest_score, entry.latest_at = latest.score, latest.created_at
        if best is not None:
            entry.best_id, entry.best_score = best.id, best.score
            max_score = max(max_score, best.max_score or 0.0)
        if graded is not None:
            entry.graded_id, entry.max_score = graded.id, graded.max_score
    reports = overview_db.staff_reports(
        session, [r.graded_id for r in roster.values() if r.graded_id is not None])
    items, cells, summaries = _items_across(roster, reports)
    best = [r.best_score for r in roster.values() if r.best_score is not None]
    errors = [ErrorRow(row.id, row.user, _first_error(report))
              for row, report in overview_db.recent_errors(session, RECENT_ERRORS)]
    return ClassOverview(assignment, [roster[name] for name in sorted(roster)], items, cells,
                         summaries, best, max_score, submissions_db.count_by_status(session),
                         workers_db.live_slots(session, now - timedelta(seconds=SEEN_WITHIN_S),
                                               queue=None),
                         errors)


def _items_across(roster: dict[str, RosterRow], reports: dict[int, dict]):
    items: list[str] = []
    cells: dict[str, dict[str, str]] = {}
    passed: Counter[str] = Counter()
    graded: Counter[str] = Counter()
    mistakes: dict[str, Counter[str]] = {}
    for row in roster.values():
        report = reports.get(row.graded_id)
        if report is None:
            continue
        cells[row.name] = {}
        for test in report.get("tests", []):
            name, status = test["name"], test["status"]
            if name not in items:
                items.append(name)
            cells[row.name][name] = status
            if status == "skipped":
                continue
            graded[name] += 1
            passed[name] += status == "passed"
            mistake = named_mistake(test.get("output", ""))
            if status != "passed" and mistake:
                mistakes.setdefault(name, Counter())[mistake] += 1
    aligned = {student: [statuses.get(item, "none") for item in items]
               for student, statuses in cells.items()}
    summaries = []
    for name in items:
        common = mistakes.get(name, Counter()).most_common(1)
        summaries.append(ItemSummary(name, passed[name], graded[name],
                                     common[0][0] if common else None,
                                     common[0][1] if common else 0))
    return items, aligned, summaries


_COUNTS = re.compile(r"^\d+ of \d+ cases \w+: ")
_NUMBERS = re.compile(r"(?<![A-Za-z_])\d+(\.\d+)?")


def named_mistake(output: str) -> str | None:
    """The first mistake an item's feedback names ("3 of 6 cases wrong: <mistake>; ..." ->
    "<mistake>"), its numbers replaced by # so that one mistake at two shapes is one."""
    match = _COUNTS.match(output)
    if not match:
        return None
    first = re.split(r"; | \(likely cause|: ", output[match.end():], maxsplit=1)[0].strip()
    return _NUMBERS.sub("#", first)[:200] or None


def _first_error(report: dict | None) -> str:
    errors = (report or {}).get("errors") or []
    return errors[0][:300] if errors else "no report stored"


def regrade_latest(session: Session, reader: User, assignment: str, now: datetime) -> int:
    """Queues every student's latest submission of the assignment again; how many."""
    _require_ta(reader)
    latest = [standing.latest.id for standing in overview_db.standings(session, assignment)]
    for submission_id in latest:
        regrade_submission(session, reader, submission_id, now)
    return len(latest)
