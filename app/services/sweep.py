"""The sweep: submissions left queued or running past a deadline are queued again (a lost
broker message, a worker killed beyond what Redis redelivers)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.db import submissions as submissions_db
from app.unit_of_work import grade_after_commit

log = logging.getLogger(__name__)


def requeue_stuck(session: Session, now: datetime, stuck_after_s: float) -> list[int]:
    """Ids queued again; they are sent when the caller commits (commit_then_enqueue)."""
    before = now - timedelta(seconds=stuck_after_s)
    requeued = []
    for submission in submissions_db.find_stuck(session, queued_before=before,
                                                started_before=before):
        log.warning("requeued a stuck submission", extra={
            "submission_id": submission.id, "was": submission.status})
        submission.status = submissions_db.QUEUED
        submission.queued_at = now
        grade_after_commit(session, submission.id, submission.generation)
        requeued.append(submission.id)
    session.flush()
    return requeued
