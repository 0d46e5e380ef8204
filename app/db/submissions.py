"""Queries on submissions and their files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from app.db.enums import EventName, SubmissionStatus
from app.db.models import Submission, SubmissionEvent, SubmissionFile, User


def add_submission(session: Session, *, user: User, submitted_by: User, assignment: str,
                   files: Mapping[str, bytes], idempotency_key: str | None, now: datetime,
                   late_days: int, late_penalty_percent: float) -> Submission:
    submission = Submission(
        user_id=user.id, submitted_by_id=submitted_by.id, assignment=assignment, status=SubmissionStatus.QUEUED,
        generation=1, idempotency_key=idempotency_key, created_at=now, queued_at=now,
        late_days=late_days, late_penalty_percent=late_penalty_percent,
        files=[SubmissionFile(name=name, content=content) for name, content in files.items()])
    session.add(submission)
    session.flush()
    add_event(session, submission.id, submission.generation, EventName.ACCEPTED, now)
    return submission


def add_event(session: Session, submission_id: int, generation: int, event: str,
              now: datetime, detail: str | None = None) -> None:
    session.add(SubmissionEvent(submission_id=submission_id, generation=generation, at=now,
                                event=event, detail=detail[:200] if detail else None))


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
    query = (select(Submission).options(selectinload(Submission.events))
             .order_by(Submission.created_at.desc(), Submission.id.desc()))
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
                      now: datetime, lease_until: datetime | None) -> bool:
    """Marks it running, leased to this worker until `lease_until`, if this generation still
    waits for a grade (queued, or running on a worker that died); False when it was graded
    already or a regrade superseded it."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.generation == generation,
               Submission.status.in_([SubmissionStatus.QUEUED, SubmissionStatus.RUNNING]))
        .values(status=SubmissionStatus.RUNNING, started_at=now, lease_until=lease_until))
    return result.rowcount == 1


def renew_lease(session: Session, submission_id: int, generation: int,
                lease_until: datetime) -> bool:
    """False when the submission is no longer this generation's running grade."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.generation == generation,
               Submission.status == SubmissionStatus.RUNNING)
        .values(lease_until=lease_until))
    return result.rowcount == 1


def confirm_enqueued(session: Session, jobs: list[tuple[int, int]], now: datetime) -> None:
    """Notes that the broker took the messages of these (submission id, generation)."""
    for submission_id, generation in jobs:
        session.execute(update(Submission)
                        .where(Submission.id == submission_id,
                               Submission.generation == generation,
                               Submission.status == SubmissionStatus.QUEUED, Submission.enqueued_at.is_(None))
                        .values(enqueued_at=now))


def requeue_if_unchanged(session: Session, submission: Submission, now: datetime) -> bool:
    """Back to queued (message not yet sent) unless a worker changed the row since it was
    read: a grade stored meanwhile is never overwritten by the requeue."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.generation == submission.generation,
               Submission.status == submission.status,
               _same_or_null(Submission.lease_until, submission.lease_until))
        .values(status=SubmissionStatus.QUEUED, queued_at=now, enqueued_at=None, lease_until=None))
    return result.rowcount == 1


def _same_or_null(column, value):
    return column.is_(None) if value is None else column == value


def load_files(session: Session, submission_id: int) -> dict[str, bytes]:
    submission = session.scalar(select(Submission).where(Submission.id == submission_id)
                                .options(selectinload(Submission.files)))
    return {f.name: f.content for f in submission.files}


def find_stuck(session: Session, now: datetime, queued_before: datetime,
               unconfirmed_before: datetime, started_before: datetime) -> list[Submission]:
    """Queued ones whose message the broker never took (after a grace for the sender) or
    that waited past the bound; running ones whose lease ran out (or, without a lease,
    that started before the bound)."""
    return list(session.scalars(select(Submission).where(or_(
        and_(Submission.status == SubmissionStatus.QUEUED, Submission.held.is_(False), or_(
            Submission.queued_at < queued_before,
            Submission.lease_until < now,  # a retry's due time and lease passed unstarted
            and_(Submission.enqueued_at.is_(None), Submission.queued_at < unconfirmed_before))),
        and_(Submission.status == SubmissionStatus.RUNNING, or_(
            Submission.lease_until < now,
            and_(Submission.lease_until.is_(None), Submission.started_at < started_before)))))
        .order_by(Submission.id)))


def find_queued_sent_before(session: Session, before: datetime) -> list[Submission]:
    """Queued, and the broker took the message before `before`."""
    return list(session.scalars(select(Submission).where(
        Submission.status == SubmissionStatus.QUEUED, Submission.enqueued_at < before).order_by(Submission.id)))


def find_queued(session: Session) -> list[Submission]:
    """Queued and sent to the broker (a held one waits in the database only)."""
    return list(session.scalars(select(Submission).where(Submission.status == SubmissionStatus.QUEUED,
                                                         Submission.held.is_(False))
                                .order_by(Submission.id)))


def count_sent_waiting(session: Session, user_id: int, other_than: int | None = None) -> int:
    """The student's queued submissions sent to the broker (not held), but `other_than`."""
    query = select(func.count()).where(Submission.user_id == user_id,
                                       Submission.status == SubmissionStatus.QUEUED,
                                       Submission.held.is_(False))
    if other_than is not None:
        query = query.where(Submission.id != other_than)
    return int(session.scalar(query))


def oldest_held(session: Session, user_id: int) -> Submission | None:
    return session.scalar(select(Submission).where(
        Submission.user_id == user_id, Submission.status == SubmissionStatus.QUEUED,
        Submission.held.is_(True)).order_by(Submission.queued_at, Submission.id).limit(1))


def users_with_held(session: Session) -> list[int]:
    """Students with a queued submission held back in the database."""
    return list(session.scalars(select(Submission.user_id).where(
        Submission.status == SubmissionStatus.QUEUED, Submission.held.is_(True))
        .distinct().order_by(Submission.user_id)))


def find_waiting_of(session: Session, user_id: int, assignment: str,
                    other_than: int) -> list[Submission]:
    """The student's queued submissions of the assignment, but `other_than`."""
    return list(session.scalars(select(Submission).where(
        Submission.user_id == user_id, Submission.assignment == assignment,
        Submission.status == SubmissionStatus.QUEUED, Submission.id != other_than)
        .order_by(Submission.id)))


def cancel_if_queued(session: Session, submission: Submission, superseded_by: int) -> bool:
    """Cancelled unless a worker claimed it since it was read (then it is graded)."""
    result = session.execute(
        update(Submission)
        .where(Submission.id == submission.id, Submission.generation == submission.generation,
               Submission.status == SubmissionStatus.QUEUED)
        .values(status=SubmissionStatus.CANCELLED, superseded_by_id=superseded_by, held=False,
                lease_until=None)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount == 1


def queued_in_broker_order(session: Session) -> list[Submission]:
    """Every queued submission: those sent, in the order the broker hands them out (first
    sent, first taken), then the held ones, oldest first."""
    sent_at = func.coalesce(Submission.enqueued_at, Submission.queued_at)
    return list(session.scalars(select(Submission).where(
        Submission.status == SubmissionStatus.QUEUED)
        .order_by(Submission.held, sent_at, Submission.id)))


def running_since(session: Session) -> list[datetime]:
    """When each running grade started."""
    return [at for at in session.scalars(select(Submission.started_at).where(
        Submission.status == SubmissionStatus.RUNNING)) if at is not None]


def count_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Submission.status, func.count()).group_by(Submission.status))
    return {status: count for status, count in rows}
