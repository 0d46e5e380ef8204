"""Runs the stuck-submission sweep every `sweep_interval_s` inside the API process."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError

from app.services.sweep import requeue_stuck
from app.unit_of_work import commit_then_enqueue

log = logging.getLogger(__name__)


def sweep_once(state) -> list[int]:
    with state.sessions() as session:
        requeued = requeue_stuck(session, state.clock(), state.settings.stuck_after_s)
        commit_then_enqueue(session, state.queue)
    return requeued


async def run_sweeps(state) -> None:
    while True:
        await asyncio.sleep(state.settings.sweep_interval_s)
        try:
            await asyncio.to_thread(sweep_once, state)
        except SQLAlchemyError:
            log.exception("sweep failed; trying again next interval")
