"""The scores of an assignment: one row per student, for TAs (JSON or a CSV spreadsheet)."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from app.course import assignment_exists
from app.db import overview as overview_db
from app.db import users as users_db
from app.db.enums import Role
from app.db.models import User
from app.errors import Forbidden, NotFound

FIXED_COLUMNS = ["user", "graded_submissions", "latest_submission", "latest_score",
                 "best_submission", "best_score", "max_score"]


def read_scores(session: Session, reader: User, assignment: str) -> list[dict]:
    """Every rostered student, with the latest and best graded score and each test's score
    in the best submission (blank where nothing was graded)."""
    if reader.role != Role.TA:
        raise Forbidden("only TAs read the scores")
    if not assignment_exists(assignment):
        raise NotFound(f"no assignment named {assignment!r}")
    rows = {student.name: {"user": student.name, "graded_submissions": 0}
            for student in users_db.list_users_with_role(session, "student")}
    # Only each student's latest and best graded submission is read, and only the best's
    # report: 500 students x 20 submissions took 5 s when every report was loaded.
    standings = [s for s in overview_db.standings(session, assignment) if s.best is not None]
    reports = overview_db.staff_reports(session, [s.best.id for s in standings])
    for standing in standings:
        latest, best = standing.latest_graded, standing.best
        rows.setdefault(latest.user, {"user": latest.user}).update(
            graded_submissions=standing.graded_uploads, latest_submission=latest.id,
            latest_score=latest.score, max_score=latest.max_score,
            best_submission=best.id, best_score=best.score,
            tests={t["name"]: t["score"] for t in reports[best.id]["tests"]})
    return [rows[name] for name in sorted(rows)]


def scores_csv(rows: list[dict]) -> str:
    """One line per student; a column per test, in the order the grader reports them."""
    test_names: list[str] = []
    for row in rows:
        test_names += [name for name in row.get("tests", {}) if name not in test_names]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIXED_COLUMNS + test_names)
    for row in rows:
        writer.writerow([row.get(c, "") for c in FIXED_COLUMNS]
                        + [row.get("tests", {}).get(t, "") for t in test_names])
    return out.getvalue()
