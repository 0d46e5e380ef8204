"""Submissions: accepting an upload, who may read what, listing, regrading."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.course import ONE_HOUR, load_course_rules
from app.db import submissions as submissions_db
from app.db import users as users_db
from app.db.enums import EventName, Role, SubmissionStatus
from app.db.models import Submission, User
from app.errors import Conflict, Forbidden, NotFound, Unprocessable
from app.services.users import is_user_name
from app.services.admission import admit, cancel_superseded


def create_submission(session: Session, *, submitter: User, assignment: str,
                      files: Mapping[str, bytes], for_user: str | None,
                      idempotency_key: str | None, now: datetime, queue_share: int = 1,
                      callback_url: str | None = None) -> Submission:
    """Stores a checked upload as queued and queues it once the request commits (or holds
    it behind the student's `queue_share` of the queue); a repeated idempotency key returns
    the first submission instead (409 if the upload differs)."""
    upload = _Upload(assignment, dict(files), _student_name(submitter, for_user), callback_url)
    if idempotency_key is not None:
        earlier = submissions_db.find_by_idempotency_key(session, submitter.id, idempotency_key)
        if earlier is not None:
            return _same_upload_or_conflict(earlier, upload, idempotency_key)
    student = _student_submitted_for(session, submitter, for_user)
    rules = load_course_rules(assignment)
    late_days, penalty = rules.lateness(now)
    users_db.lock_user(session, student.id)
    rules.check_rate(now, submissions_db.upload_times_since(
        session, student.id, assignment, now - ONE_HOUR))
    try:
        with session.begin_nested():
            submission = submissions_db.add_submission(
                session, user=student, submitted_by=submitter, assignment=assignment,
                files=files, idempotency_key=idempotency_key, now=now, late_days=late_days,
                late_penalty_percent=penalty)
            submission.callback_url = callback_url
    except IntegrityError:
        # The same key raced in from a parallel request, which stored it first.
        earlier = submissions_db.find_by_idempotency_key(session, submitter.id, idempotency_key)
        if earlier is None:
            raise
        return _same_upload_or_conflict(earlier, upload, idempotency_key)
    if rules.only_latest_counts:
        cancel_superseded(session, submission, now)
    admit(session, submission, queue_share)
    return submission


@dataclass(frozen=True)
class _Upload:
    """What an upload asks for, as compared when its idempotency key was seen before."""

    assignment: str
    files: dict[str, bytes]
    student: str | None
    """The student it counts for: the submitter, or the one a CI token names."""
    callback_url: str | None


def _student_name(submitter: User, for_user: str | None) -> str | None:
    return submitter.name if submitter.role == Role.STUDENT and for_user is None else for_user


def _same_upload_or_conflict(earlier: Submission, upload: _Upload, key: str) -> Submission:
    """A retry gets the submission it made; another upload under the same key is refused,
    rather than answered with a submission of other files."""
    stored = _Upload(earlier.assignment, {f.name: f.content for f in earlier.files},
                     earlier.user.name, earlier.callback_url)
    if stored != upload:
        raise Conflict(f"Idempotency-Key {key!r} was used for submission {earlier.id}, "
                       "with other files or fields; send a new key for a new upload")
    return earlier


def _student_submitted_for(session: Session, submitter: User, for_user: str | None) -> User:
    if submitter.role == Role.STUDENT:
        if for_user not in (None, submitter.name):
            raise Forbidden("form field 'user' is for CI tokens; students submit for themselves")
        return submitter
    if submitter.role != "ci":
        raise Forbidden("only students and CI tokens submit")
    if not for_user:
        raise Unprocessable("a CI token must name the student in form field 'user'")
    student = users_db.find_user_by_name(session, for_user) if is_user_name(for_user) else None
    if student is None or student.role != "student":
        raise Unprocessable(f"no student named {for_user!r} on the roster")
    return student


def read_submission(session: Session, reader: User, submission_id: int) -> Submission:
    """The submission if the reader may see it; otherwise 404, so that ids of other
    students' submissions cannot be probed."""
    submission = submissions_db.get_submission(session, submission_id)
    if submission is None or not may_read(reader, submission):
        raise NotFound(f"no submission {submission_id}")
    return submission


def may_read(reader: User, submission: Submission) -> bool:
    return (reader.role == Role.TA or submission.user_id == reader.id
            or (reader.role == Role.CI and submission.submitted_by_id == reader.id))


def list_submissions_for(session: Session, reader: User, *, user: str | None,
                         assignment: str | None, limit: int, offset: int) -> list[Submission]:
    """Newest first: a TA's pick of all, a student's own, what a CI token submitted."""
    if reader.role == Role.TA:
        return submissions_db.list_submissions(session, user_name=user, assignment=assignment,
                                               limit=limit, offset=offset)
    if user not in (None, reader.name) and reader.role == Role.STUDENT:
        raise Forbidden("students list only their own submissions")
    scope = ({"user_id": reader.id} if reader.role == Role.STUDENT
             else {"submitted_by_id": reader.id, "user_name": user})
    return submissions_db.list_submissions(session, assignment=assignment, limit=limit,
                                           offset=offset, **scope)


def regrade_submission(session: Session, reader: User, submission_id: int,
                       now: datetime, queue_share: int = 1) -> Submission:
    """Queues a new generation, graded with today's tests; its grade replaces the current one."""
    if reader.role != Role.TA:
        raise Forbidden("only TAs regrade")
    submission = read_submission(session, reader, submission_id)
    submission.generation += 1
    submission.status = SubmissionStatus.QUEUED
    submission.queued_at = now
    submission.enqueued_at = submission.lease_until = submission.started_at = None
    submission.graded_at = None
    submission.score = submission.max_score = None
    submission.superseded_by_id = None
    submissions_db.add_event(session, submission.id, submission.generation,
                             EventName.REGRADED, now)
    session.flush()
    admit(session, submission, queue_share)
    return submission

