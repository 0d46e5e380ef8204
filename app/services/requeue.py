"""The sweep: the database is the record, so what it says waits is sent to the broker again
when a crash lost it: a message that never reached Redis (Redis down, API killed between
commit and send), a broker that restarted (its queue may be gone), a worker that stopped
renewing its lease (killed mid-grade). Grading is idempotent by generation, so a duplicate
message costs at most a second grade that is not stored; a lost one would cost a grade."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.db import submissions as submissions_db
from app.db.enums import EventName, SubmissionStatus
from app.db.models import Submission
from app.unit_of_work import grade_after_commit

log = logging.getLogger(__name__)


def requeue_stuck(session: Session, now: datetime, stuck_after_s: float,
                  unconfirmed_after_s: float, broker_restarted: bool = False,
                  in_broker: set[tuple[int, int]] | None = None) -> list[int]:
    """Ids queued again; their messages are sent when the caller commits
    (commit_then_enqueue). Queued ones whose message the broker never took, or that left
    the broker's list (`in_broker`: (id, generation) of what waits there) and never
    started, are requeued after `unconfirmed_after_s` (the sender's and the taker's grace);
    running ones when their lease ran out; anything else queued or running after
    `stuck_after_s` (the last resort); with `broker_restarted`, every queued one."""
    stuck = submissions_db.find_stuck(
        session, now, queued_before=now - timedelta(seconds=stuck_after_s),
        unconfirmed_before=now - timedelta(seconds=unconfirmed_after_s),
        started_before=now - timedelta(seconds=stuck_after_s))
    seen = {s.id for s in stuck}
    taken = []
    if in_broker is not None:
        # A worker killed holding a message it had not started (prefetched) took it from
        # the list; the database still says queued, and no lease covers it.
        taken = [s for s in submissions_db.find_queued_sent_before(
                     session, now - timedelta(seconds=unconfirmed_after_s))
                 if s.id not in seen and s.lease_until is None  # a held retry has a lease
                 and (s.id, s.generation) not in in_broker]
        stuck += taken
        seen |= {s.id for s in taken}
    if broker_restarted:
        stuck += [s for s in submissions_db.find_queued(session) if s.id not in seen]
    requeued = []
    for submission in stuck:
        reason = ("its message left the queue and no worker started it (a worker killed "
                  "holding it)" if submission in taken
                  else _why_stuck(submission, now, broker_restarted))
        if not submissions_db.requeue_if_unchanged(session, submission, now):
            continue  # a worker took it or stored its grade meanwhile
        log.warning("requeued after a fault", extra={
            "submission_id": submission.id, "generation": submission.generation,
            "reason": reason})
        submissions_db.add_event(session, submission.id, submission.generation,
                                 EventName.REQUEUED, now, reason)
        grade_after_commit(session, submission.id, submission.generation)
        requeued.append(submission.id)
    session.flush()
    return requeued


def _why_stuck(submission: Submission, now: datetime, broker_restarted: bool) -> str:
    if submission.status == SubmissionStatus.RUNNING:
        if submission.lease_until is not None:
            return "its worker stopped renewing the lease (worker killed or cut off)"
        return "running for too long without a lease"
    if submission.lease_until is not None:
        return "a retry fell due and the worker holding it did not start it"
    if submission.enqueued_at is None:
        return "its message never reached the queue (broker down or API stopped)"
    if broker_restarted:
        return "the broker restarted and may have lost its queue"
    return "queued for too long"
