"""Grading jobs wait for the commit: a job is sent only after the row it names is stored,
so no worker ever looks for a submission that was rolled back."""

from __future__ import annotations

import logging

from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from app.queue import GradeQueue

log = logging.getLogger(__name__)
_PENDING = "pending_grades"


def grade_after_commit(session: Session, submission_id: int, generation: int) -> None:
    session.info.setdefault(_PENDING, []).append((submission_id, generation))


def commit_then_enqueue(session: Session, queue: GradeQueue) -> None:
    session.commit()
    for submission_id, generation in session.info.pop(_PENDING, []):
        try:
            queue.enqueue(submission_id, generation)
        except (KombuError, RedisError, OSError):
            # The row is committed as queued: the sweep sends it again once the broker is back.
            log.exception("could not queue; the sweep will retry",
                          extra={"submission_id": submission_id})


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
