"""Celery tasks: thin wrappers that reload a submission, grade it and store the grade."""

from __future__ import annotations

import logging
import time

from celery import shared_task
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError

from app.clock import utc_now
from app.lease import lease_end, renewed_lease
from app.queue import DELIVER_TASK, GRADE_TASK, GradeQueue
from app.services.admission import release_next
from app.services.webhooks import attempt_delivery
from app.services.grading import (InternalFault, begin_grading, fault_report,
                                  requeue_after_fault, run_grader, store_grade)
from app.unit_of_work import commit_then_enqueue
from app.worker_context import worker_context

log = logging.getLogger(__name__)


@shared_task(bind=True, name=GRADE_TASK, acks_late=True, reject_on_worker_lost=True)
def grade_submission(self, submission_id: int, generation: int) -> None:
    context = worker_context()
    ids = {"submission_id": submission_id, "generation": generation}
    try:
        lease_s = context.settings.lease_s
        with context.sessions() as session:
            now = utc_now()
            job = begin_grading(session, submission_id, generation, now,
                                lease_end(now, lease_s))
            if job is not None:
                release_next(session, job.user_id, context.settings.queue_share_per_student,
                             now)
            commit_then_enqueue(session, GradeQueue(self.app, context.settings))
        if job is None:
            log.info("nothing to grade: graded already or superseded", extra=ids)
            return
        log.info("grading", extra={**ids, "files": sorted(job.files)})
        started = time.monotonic()
        with renewed_lease(context.sessions, submission_id, generation, lease_s):
            report = run_grader(job)
        duration_s = time.monotonic() - started
        with context.sessions() as session:
            stored = store_grade(session, job, report, duration_s, utc_now())
            commit_then_enqueue(session, GradeQueue(self.app, context.settings))
        log.info("graded" if stored else "graded again; the first grade stands",
                 extra={**ids, "score": report.score, "duration_s": round(duration_s, 3)})
    except (InternalFault, OperationalError, RedisError) as fault:
        _retry_or_give_up(self, context, submission_id, generation, fault, ids)


def _retry_or_give_up(task, context, submission_id, generation, fault, ids) -> None:
    settings = context.settings
    if isinstance(fault, InternalFault) and not fault.retry:
        # A bug of the grader's own code, met on this file: another try meets it again.
        log.error("grader fault that repeats identically; stored as error, not retried",
                  extra={**ids, "fault": str(fault)})
        _store_fault(task, context, submission_id, generation, fault)
        return
    if task.request.retries < settings.task_max_retries:
        log.warning("infrastructure fault, retrying", extra={**ids, "fault": str(fault),
                                                             "retry": task.request.retries + 1})
        countdown_s = settings.task_retry_delay_s * 2 ** task.request.retries
        with context.sessions.begin() as session:
            now = utc_now()
            requeue_after_fault(session, submission_id, generation, now, str(fault),
                                lease_end(now, countdown_s + settings.lease_s))
        raise task.retry(countdown=countdown_s, max_retries=settings.task_max_retries,
                         exc=fault)
    log.error("infrastructure fault, retries spent; stored as error",
              extra={**ids, "fault": str(fault)})
    if not isinstance(fault, InternalFault):
        raise fault
    _store_fault(task, context, submission_id, generation, fault)


def _store_fault(task, context, submission_id: int, generation: int,
                 fault: InternalFault) -> None:
    with context.sessions() as session:
        job = begin_grading(session, submission_id, generation, utc_now())
        if job is not None:
            store_grade(session, job, fault_report(fault), 0.0, utc_now())
        commit_then_enqueue(session, GradeQueue(task.app, context.settings))


@shared_task(bind=True, name=DELIVER_TASK, acks_late=True, reject_on_worker_lost=True)
def deliver_webhook(self, delivery_pk: int, attempts_made: int | None = None) -> None:
    """One attempt of a webhook delivery; the next one is this task again after a backoff
    (`autograder worker --deliveries` runs it, never a grading worker)."""
    context = worker_context()
    following = attempt_delivery(context.sessions, context.settings, delivery_pk, attempts_made)
    if following is not None:
        log.info("webhook not delivered, retrying",
                 extra={"delivery": delivery_pk, "retry_in_s": following.in_s})
        raise self.retry(args=(delivery_pk, following.attempts_made),
                         countdown=following.in_s, max_retries=None)
