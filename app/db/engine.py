"""The engine and session factory for a database URL (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

POOL_SIZE = 5
POOL_MAX_OVERFLOW = 10
"""Connections a process keeps, and opens beyond them under load (SQLAlchemy's defaults,
named so that the health check knows when all are taken)."""
CONNECT_TIMEOUT_S = 5
"""How long opening a PostgreSQL connection may take: a database host that went silent
(a dropped route, a full backlog) answers the health check and requests with an error in
seconds instead of the system's TCP timeout, minutes."""


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    pool = {"pool_size": POOL_SIZE, "max_overflow": POOL_MAX_OVERFLOW}
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True,
                             connect_args={"connect_timeout": CONNECT_TIMEOUT_S}, **pool)
    if not parsed.database or parsed.database == ":memory:":
        pool = {}  # one connection per thread (SingletonThreadPool), no sizes to set
    else:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
    event.listen(engine, "connect", _tune_sqlite)
    return engine


def database_problem(engine: Engine) -> str | None:
    """Why a request now could not use the database, or None. An exhausted pool is seen
    without waiting for a connection (a request would wait 30 s, then fail)."""
    pool = engine.pool
    if isinstance(pool, QueuePool) and pool.checkedout() >= pool.size() + POOL_MAX_OVERFLOW:
        return f"all {pool.checkedout()} database connections of the pool are in use"
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return "the database does not answer"
    return None


def _tune_sqlite(connection, _record) -> None:
    # The API and the worker write the same file from two processes: WAL lets readers go on
    # during a write, and a 30 s busy timeout makes a writer wait instead of failing.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_session_factory(engine: Engine, **info) -> sessionmaker[Session]:
    """Sessions on the engine; `info` is in each session's `info` (the API puts its queue's
    name there, whose workers the queue's estimates count)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)
