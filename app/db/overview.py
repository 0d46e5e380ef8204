"""Queries of a class's overview, sized for 500 students x 20 submissions: the database picks
each student's latest, best and latest graded submission (window functions, so 10,000 rows
never reach Python), then the reports of only those are read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from app.db.enums import SubmissionStatus
from app.db.models import Grade, Submission, User


@dataclass(frozen=True)
class SubmissionRow:
    """One submission without its files or report."""

    id: int
    user: str
    status: str
    score: float | None
    max_score: float | None
    created_at: datetime


@dataclass(frozen=True)
class Standing:
    """A student's submissions of an assignment, as the roster shows them."""

    uploads: int
    graded_uploads: int
    latest: SubmissionRow
    best: SubmissionRow | None
    """The highest graded score, the later of equal ones (as the scores sheet picks it)."""
    latest_graded: SubmissionRow | None


def standings(session: Session, assignment: str) -> list[Standing]:
    """One per student who submitted the assignment."""
    graded = case((Submission.status == SubmissionStatus.GRADED, 0), else_=1)
    newest = (Submission.created_at.desc(), Submission.id.desc())
    per_user = {"partition_by": Submission.user_id}
    ranked = (select(Submission.id, Submission.user_id, Submission.status, Submission.score,
                     Submission.max_score, Submission.created_at,
                     func.count().over(**per_user).label("uploads"),
                     func.count(case((Submission.status == SubmissionStatus.GRADED, 1)))
                     .over(**per_user).label("graded_uploads"),
                     func.row_number().over(**per_user, order_by=newest).label("latest"),
                     func.row_number().over(**per_user, order_by=(
                         graded, Submission.score.desc(), *newest)).label("best"),
                     func.row_number().over(**per_user, order_by=(graded, *newest))
                     .label("latest_graded"))
              .where(Submission.assignment == assignment).subquery())
    query = (select(ranked, User.name).join(User, ranked.c.user_id == User.id)
             .where(or_(ranked.c.latest == 1, ranked.c.best == 1, ranked.c.latest_graded == 1)))
    picked: dict[str, dict] = {}
    for row in session.execute(query).mappings():
        entry = picked.setdefault(row["name"], {"uploads": row["uploads"],
                                                "graded_uploads": row["graded_uploads"]})
        submission = SubmissionRow(row["id"], row["name"], row["status"], row["score"],
                                   row["max_score"], row["created_at"])
        is_graded = row["status"] == SubmissionStatus.GRADED
        for rank in ("latest", "best", "latest_graded"):
            if row[rank] == 1 and (rank == "latest" or is_graded):
                entry[rank] = submission
    return [Standing(entry["uploads"], entry["graded_uploads"], entry["latest"],
                     entry.get("best"), entry.get("latest_graded")) for entry in picked.values()]


def staff_reports(session: Session, submission_ids: Sequence[int]) -> dict[int, dict]:
    """The current grade's staff report of each submission that has one."""
    if not submission_ids:
        return {}
    query = (select(Submission.id, Grade.report_staff)
             .join(Grade, (Grade.submission_id == Submission.id)
                   & (Grade.generation == Submission.generation))
             .where(Submission.id.in_(list(submission_ids))))
    return {submission_id: report for submission_id, report in session.execute(query)}


def recent_errors(session: Session, limit: int) -> list[tuple[SubmissionRow, dict | None]]:
    """The last submissions whose grade is an error (newest first), with their staff report."""
    query = (select(Submission.id, User.name, Submission.status, Submission.score,
                    Submission.max_score, Submission.created_at, Grade.report_staff)
             .join(User, Submission.user_id == User.id)
             .outerjoin(Grade, (Grade.submission_id == Submission.id)
                        & (Grade.generation == Submission.generation))
             .where(Submission.status == SubmissionStatus.ERROR)
             .order_by(Submission.graded_at.desc(), Submission.id.desc()).limit(limit))
    return [(SubmissionRow(*row[:6]), row[6]) for row in session.execute(query)]
