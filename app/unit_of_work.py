"""Grading jobs wait for the commit: a job is sent only after the row it names is stored,
so no worker ever looks for a submission that was rolled back."""

from __future__ import annotations

import logging

from kombu.exceptions import KombuError
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db import submissions as submissions_db
from app.db import webhooks as webhooks_db
from app.queue import GradeQueue

log = logging.getLogger(__name__)
_PENDING = "pending_grades"
_DELIVERIES = "pending_deliveries"


def grade_after_commit(session: Session, submission_id: int, generation: int) -> None:
    session.info.setdefault(_PENDING, []).append((submission_id, generation))


def deliver_after_commit(session: Session, delivery_pk: int,
                         attempts_made: int | None = None) -> None:
    """A webhook delivery, sent once the grade it tells of is committed; `attempts_made`
    (when sent again) makes any older message of it stale."""
    session.info.setdefault(_DELIVERIES, []).append((delivery_pk, attempts_made))


def commit_then_enqueue(session: Session, queue: GradeQueue) -> None:
    """Commits, sends the jobs, then notes in the database which ones the broker took: a
    job whose row says nothing of it is sent again by the sweep (app/services/requeue.py)."""
    session.commit()
    delivered = []
    for delivery_pk, attempts_made in session.info.pop(_DELIVERIES, []):
        try:
            queue.deliver(delivery_pk, attempts_made)
            delivered.append(delivery_pk)
        except (KombuError, RedisError, OSError):
            log.exception("could not queue a webhook delivery; the sweep will retry",
                          extra={"delivery": delivery_pk})
    sent = []
    for submission_id, generation in session.info.pop(_PENDING, []):
        try:
            queue.enqueue(submission_id, generation)
            sent.append((submission_id, generation))
        except (KombuError, RedisError, OSError):
            # The row is committed as queued: the sweep sends it again once the broker is back.
            log.exception("could not queue; the sweep will retry",
                          extra={"submission_id": submission_id})
    if not sent and not delivered:
        return
    try:
        submissions_db.confirm_enqueued(session, sent, utc_now())
        webhooks_db.confirm_sent(session, delivered, utc_now())
        session.commit()
    except SQLAlchemyError:
        # The jobs are sent and their rows committed: at worst the sweep sends them twice.
        session.rollback()
        log.warning("could not note the jobs as sent; the sweep will send them again",
                    exc_info=True, extra={"submission_ids": [s for s, _ in sent]})


def discard_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_DELIVERIES, None)
