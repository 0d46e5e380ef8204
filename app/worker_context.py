"""What a worker process holds for its tasks: settings, a database engine, the queue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import make_engine, make_session_factory
from app.settings import Settings, get_settings


@dataclass(frozen=True)
class WorkerContext:
    settings: Settings
    sessions: sessionmaker[Session]


@lru_cache
def worker_context() -> WorkerContext:
    """Built on a process's first task, so each prefork child has its own connections."""
    settings = get_settings()
    return WorkerContext(settings, make_session_factory(make_engine(settings.database_url)))
