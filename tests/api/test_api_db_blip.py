"""Issue 11, point 8: a PostgreSQL connection dropped in the middle of a request (here its
backend terminated by pg_terminate_backend while the upload's INSERT is on its way) is not
seen by the client: the request runs again once on a fresh connection, and stores one
submission."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy import event, func, select

from api_helpers import upload
from app.db.models import Submission
from tests.support.databases import POSTGRES_ADMIN_URL

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
def terminate_once(api):
    """Terminates the backend of the request's connection before its first INSERT into
    submissions, once (as an operator's pg_terminate_backend or a failover would)."""
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    engine = api.app.state.engine
    terminated = []

    def before_execute(connection, cursor, statement, parameters, context, executemany):
        if terminated or not statement.startswith("INSERT INTO submissions"):
            return
        pid = connection.connection.dbapi_connection.info.backend_pid
        with admin.connect() as terminator:
            terminator.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        terminated.append(pid)

    event.listen(engine, "before_cursor_execute", before_execute)
    yield terminated
    event.remove(engine, "before_cursor_execute", before_execute)
    admin.dispose()


def test_upload_survives_its_connection_being_terminated(api, users, sessions, terminate_once):
    response = upload(api, users["alice"], {"mlp": b"x = 1\n"})
    assert terminate_once, "the backend was terminated under the upload"
    assert response.status_code == 202, response.text
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 1
    body = api.get(f"/api/v1/submissions/{response.json()['id']}",
                   headers=users.headers("alice")).json()
    assert [e["event"] for e in body["history"]] == ["accepted"]
