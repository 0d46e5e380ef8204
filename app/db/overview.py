"""Queries of a class's overview, sized for 500 students x 20 submissions: the submissions as
narrow rows (no files, no reports), then the reports of only the few that are shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
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


def submission_rows(session: Session, assignment: str) -> list[SubmissionRow]:
    """Every submission of the assignment, oldest first."""
    query = (select(Submission.id, User.name, Submission.status, Submission.score,
                    Submission.max_score, Submission.created_at)
             .join(User, Submission.user_id == User.id)
             .where(Submission.assignment == assignment)
             .order_by(Submission.created_at, Submission.id))
    return [SubmissionRow(*row) for row in session.execute(query)]


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
