"""Runs the sweep (app/services/requeue.py) every `sweep_interval_s` inside the API process,
and tells it when the broker restarted (its run id changed), since a restarted Redis may have
lost its queue."""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.services.admission import release_stranded
from app.services.requeue import requeue_stuck
from app.services.webhooks import resend_overdue, resend_unsent
from app.unit_of_work import commit_then_enqueue

log = logging.getLogger(__name__)


def sweep_once(state) -> list[int]:
    run_id = _broker_run_id(state.redis)
    in_broker = _waiting_jobs(state)
    known = getattr(state, "broker_run_id", None)
    restarted = known is not None and run_id is not None and run_id != known
    if restarted:
        log.warning("the broker restarted: every queued submission is sent again")
    settings = state.settings
    with state.sessions() as session:
        requeued = requeue_stuck(session, state.clock(), settings.stuck_after_s,
                                 settings.unconfirmed_after_s, restarted, in_broker)
        resend_unsent(session, state.clock(), settings.unconfirmed_after_s, restarted)
        resend_overdue(session, settings, state.clock())
        release_stranded(session, settings.queue_share_per_student, state.clock())
        commit_then_enqueue(session, state.queue)
    if run_id is not None:
        state.broker_run_id = run_id  # only once the sweep that saw it is committed
    return requeued


def _broker_run_id(redis) -> str | None:
    """Redis's id of this run of the server (new after each restart); None when down."""
    try:
        return redis.info("server")["run_id"]
    except RedisError:
        return None


def _waiting_jobs(state) -> set[tuple[int, int]] | None:
    try:
        return state.queue.waiting_jobs(state.redis)
    except RedisError:
        return None


async def run_sweeps(state) -> None:
    while True:
        await asyncio.sleep(state.settings.sweep_interval_s)
        try:
            await asyncio.to_thread(sweep_once, state)
        except SQLAlchemyError:
            log.exception("sweep failed; trying again next interval")
