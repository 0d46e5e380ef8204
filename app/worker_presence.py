"""A grading worker notes its slots in the database while it runs, so the queue's estimates
(app/services/queue_view.py) know how many grades run at once. The main process of
`autograder worker` notes them every third of SEEN_WITHIN_S and forgets them at a warm
shutdown; a worker killed outright drops out of the estimates after SEEN_WITHIN_S."""

from __future__ import annotations

import logging
import threading

from celery import signals
from sqlalchemy.exc import SQLAlchemyError

from app.clock import utc_now
from app.db import workers as workers_db
from app.db.engine import make_engine, make_session_factory
from app.settings import Settings

log = logging.getLogger(__name__)

SEEN_WITHIN_S = 30.0


def install(settings: Settings, name: str, slots: int) -> None:
    """Notes the worker `name` once Celery is ready, until it shuts down."""
    stop = threading.Event()
    engine = make_engine(settings.database_url)
    sessions = make_session_factory(engine)

    def note() -> None:
        while True:
            try:
                with sessions.begin() as session:
                    workers_db.note_worker(session, name, settings.queue_name, slots, utc_now())
            except SQLAlchemyError:
                log.warning("could not note this worker's slots", exc_info=True)
            if stop.wait(SEEN_WITHIN_S / 3):
                return

    def on_ready(**_) -> None:
        threading.Thread(target=note, name="worker-presence", daemon=True).start()

    def on_shutdown(**_) -> None:
        stop.set()
        try:
            with sessions.begin() as session:
                workers_db.forget_worker(session, name)
        except SQLAlchemyError:
            log.warning("could not forget this worker's slots", exc_info=True)
        engine.dispose()

    signals.worker_ready.connect(on_ready, weak=False)
    signals.worker_shutdown.connect(on_shutdown, weak=False)
