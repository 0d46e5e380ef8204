"""Databases of their own on the machine's PostgreSQL, for a test session, a test module or a
bench run, dropped when done."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa

POSTGRES_ADMIN_URL = os.environ.get("AUTOGRADER_TEST_POSTGRES_URL",
                                    "postgresql+psycopg://postgres@127.0.0.1:5432/test")
"""A PostgreSQL URL whose user may CREATE DATABASE (scripts/services starts the server)."""


@contextmanager
def scratch_database(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> Iterator[str]:
    """Create `<prefix>_<random>` on the server of `admin_url` and yield its URL; dropped at
    the end with whatever connections are still open to it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise RuntimeError(f"PostgreSQL at {admin_url} is needed (scripts/services starts "
                           f"it): {error}") from error
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
