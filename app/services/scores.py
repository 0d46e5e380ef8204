"""The scores of an assignment: one row per student, for TAs (JSON or a CSV spreadsheet)."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from app.course import assignment_exists
from app.db import grades as grades_db
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
    for user, submission, grade in grades_db.graded_rows(session, assignment):
        row = rows.setdefault(user.name, {"user": user.name, "graded_submissions": 0})
        row["graded_submissions"] += 1
        row.update(latest_submission=submission.id, latest_score=grade.score,
                   max_score=grade.max_score)
        if grade.score >= row.get("best_score", -1.0):
            row.update(best_submission=submission.id, best_score=grade.score,
                       tests={t["name"]: t["score"] for t in grade.report_staff["tests"]})
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
