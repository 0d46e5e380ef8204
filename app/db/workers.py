"""Queries on the grading workers' slots (app/worker_presence.py notes them)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.db.models import GradingWorker


def note_worker(session: Session, name: str, queue: str, slots: int, now: datetime) -> None:
    found = session.execute(update(GradingWorker).where(GradingWorker.name == name)
                            .values(queue=queue, slots=slots, seen_at=now))
    if found.rowcount == 0:
        session.add(GradingWorker(name=name, queue=queue, slots=slots, seen_at=now))
    # Workers killed without a word (SIGKILL) leave a row: forgotten after a day.
    session.execute(delete(GradingWorker).where(GradingWorker.seen_at < now - timedelta(days=1)))


def forget_worker(session: Session, name: str) -> None:
    session.execute(delete(GradingWorker).where(GradingWorker.name == name))


def live_slots(session: Session, seen_since: datetime, queue: str | None) -> int:
    """Grading slots of the workers of `queue` (None: any) that noted them since
    `seen_since`."""
    query = (select(func.coalesce(func.sum(GradingWorker.slots), 0))
             .where(GradingWorker.seen_at >= seen_since))
    if queue is not None:
        query = query.where(GradingWorker.queue == queue)
    return int(session.scalar(query))
