"""Who waits where: each student has a share of the broker's queue (one submission by
default); the rest of theirs wait in the database (held) and are sent one at a time as theirs
start. The broker hands out first in, first out, so a student's ten uploads take turns with the
class (one of theirs, then everyone else's that waited, then their next) instead of holding
it back. When the course counts only the latest upload, an upload cancels the student's
earlier ones still waiting, and each says by which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.db import submissions as submissions_db
from app.db.enums import EventName
from app.db.models import Submission
from app.unit_of_work import grade_after_commit


def admit(session: Session, submission: Submission, share: int) -> None:
    """Sends the (re)queued submission when the student's share of the broker has room,
    otherwise holds it until one of theirs starts (release_next)."""
    waiting = submissions_db.count_sent_waiting(session, submission.user_id,
                                                other_than=submission.id)
    submission.held = waiting >= share
    session.flush()
    if not submission.held:
        grade_after_commit(session, submission.id, submission.generation)


def release_next(session: Session, user_id: int, share: int, now: datetime) -> None:
    """One of the student's submissions started: their oldest held one is sent, if their
    share has room. Sent after the commit; if the send is lost, the sweep sends it (its
    message never reached the queue)."""
    if submissions_db.count_sent_waiting(session, user_id) >= share:
        return
    following = submissions_db.oldest_held(session, user_id)
    if following is None:
        return
    following.held = False
    following.queued_at, following.enqueued_at = now, None
    session.flush()
    grade_after_commit(session, following.id, following.generation)


def release_stranded(session: Session, share: int, now: datetime) -> list[int]:
    """Run by the sweep: a held submission whose student has nothing of theirs in the broker
    is sent. An upload held while the student's earlier one was still queued commits after
    the worker started that one and looked for something to release: nothing else would
    send it. The ids of the students whose next submission was released."""
    released = []
    for user_id in submissions_db.users_with_held(session):
        if submissions_db.count_sent_waiting(session, user_id) < share:
            release_next(session, user_id, share, now)
            released.append(user_id)
    return released


def cancel_superseded(session: Session, newer: Submission, now: datetime) -> list[int]:
    """Cancels the student's earlier submissions of the assignment still queued (one a
    worker started meanwhile is graded); the ids cancelled."""
    cancelled = []
    for earlier in submissions_db.find_waiting_of(session, newer.user_id, newer.assignment,
                                                  other_than=newer.id):
        if not submissions_db.cancel_if_queued(session, earlier, newer.id):
            continue
        submissions_db.add_event(
            session, earlier.id, earlier.generation, EventName.CANCELLED, now,
            f"superseded by submission {newer.id}: the course counts only the latest upload, "
            "so this one was not graded")
        cancelled.append(earlier.id)
    session.flush()
    return cancelled
