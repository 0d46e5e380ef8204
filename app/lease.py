"""A running grade's lease, renewed by a thread of the worker while the grader runs: when
the worker dies (SIGKILL, OOM, a machine lost), renewals stop and the sweep queues the
submission again once the lease ran out, not after Redis's visibility timeout (an hour)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.clock import utc_now
from app.db import submissions as submissions_db

log = logging.getLogger(__name__)


def lease_end(now: datetime, lease_s: float) -> datetime:
    return now + timedelta(seconds=lease_s)


@contextmanager
def renewed_lease(sessions: sessionmaker[Session], submission_id: int, generation: int,
                  lease_s: float) -> Iterator[None]:
    """Renews the lease every third of `lease_s` while the body runs: two renewals may fail
    (a database blip) before the lease runs out."""
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(lease_s / 3):
            try:
                with sessions.begin() as session:
                    if not submissions_db.renew_lease(session, submission_id, generation,
                                                      lease_end(utc_now(), lease_s)):
                        return  # requeued by the sweep, or superseded: the lease is not ours
            except SQLAlchemyError:
                log.warning("could not renew the grading lease", exc_info=True,
                            extra={"submission_id": submission_id})

    renewer = threading.Thread(target=renew, name=f"lease-{submission_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()
