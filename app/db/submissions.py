"""Queries on submissions and their files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.db.models import Submission, SubmissionFile, User

QUEUED, RUNNING, GRADED, ERROR = "queued", "running", "graded", "error"


def add_submission(session: Session, *, user: User, submitted_by: User, assignment: str,
                   files: Mapping[str, bytes], idempotency_key: str | None, now: datetime,
                   late_days: int, late_penalty_percent: float) -> Submission:
    submission = Submission(
        user_id=user.id, submitted_by_id=submitted_by.id, assignment=assignment, status=QUEUED,
        generation=1, idempotency_key=idempotency_key, created_at=now, queued_at=now,
        late_days=late_days, late_penalty_percent=late_penalty_percent,
        files=[SubmissionFile(name=name, content=content) for name, content in files.items()])
    session.add(submission)
    session.flush()
    return submission


def get_submission(session: Session, submission_id: int) -> Submission | None:
    return session.get(Submission, submission_id)


def find_by_idempotency_key(session: Session, submitted_by_id: int, key: str) -> Submission | None:
    return session.scalar(select(Submission).where(
        Submission.submitted_by_id == submitted_by_id, Submission.idempotency_key == key))


def upload_times_since(session: Session, user_id: int, assignment: str,
                       since: datetime) -> list[datetime]:
    """When the student's uploads of the assignment after `since` were made, oldest first."""
    return list(session.scalars(
        select(Submission.created_at)
        .where(Submission.user_id == user_id, Submission.assignment == assignment,
               Submission.created_at > since)
        .order_by(Submission.created_at)))


def list_submissions(session: Session, *, user_id: int | None = None,
                     submitted_by_id: int | None = None, assignment: str | None = None,
                     user_name: str | None = None, limit: int = 100,
                     offset: int = 0) -> list[Submission]:
    """Newest first; each filter given narrows the list."""
    query = select(Submission).order_by(Submission.created_at.desc(), Submission.id.desc())
    if user_id is not None:
        query = query.where(Submission.user_id == user_id)
    if submitted_by_id is not None:
        query = query.where(Submission.submitted_by_id == submitted_by_id)
    if assignment is not None:
        query = query.where(Submission.assignment == assignment)
    if user_name is not None:
        query = query.join(User, Submission.user_id == User.id).where(User.name == user_name)
    return list(session.scalars(query.limit(limit).offset(offset)))


def claim_for_grading(session: Session, submission_id: int, generation: int,
                      now: datetime) -> bool:
    """Marks it running if this generation still waits for a grade (queued, or running on a
    worker that died); False when it was graded already or a regrade superseded it."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.generation == generation,
               Submission.status.in_([QUEUED, RUNNING]))
        .values(status=RUNNING, started_at=now))
    return result.rowcount == 1


def load_files(session: Session, submission_id: int) -> dict[str, bytes]:
    submission = session.scalar(select(Submission).where(Submission.id == submission_id)
                                .options(selectinload(Submission.files)))
    return {f.name: f.content for f in submission.files}


def find_stuck(session: Session, queued_before: datetime,
               started_before: datetime) -> list[Submission]:
    return list(session.scalars(select(Submission).where(or_(
        and_(Submission.status == QUEUED, Submission.queued_at < queued_before),
        and_(Submission.status == RUNNING, Submission.started_at < started_before)))))


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Submission.status, func.count()).group_by(Submission.status))
    return {status: count for status, count in rows}
