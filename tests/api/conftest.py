"""Fixtures of the service tests: a real Redis (own db number and key prefix), real
PostgreSQL and SQLite databases migrated with Alembic, the app in-process, a live uvicorn
server, and real `autograder worker` processes."""

from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
import uvicorn
from fastapi.testclient import TestClient

from app.clock import utc_now
from app.db.engine import make_engine, make_session_factory
from app.db.migrate import upgrade_to_head
from app.http_server import uvicorn_options
from app.main import create_app
from app.services.users import create_user
from app.settings import Settings
from grader.assignment import HIDDEN_TESTS_DIR
from api_helpers import IDLE_QUEUE, REDIS_URL, Users, WorkerProcess, make_settings
from tests.support.databases import scratch_database
from tests.support.loopback import free_port
from tests.support.polling import wait_until

TABLES = ["webhook_attempts", "webhook_deliveries", "course_webhooks", "artifacts", "grades",
          "submission_files", "submission_events", "submissions", "users"]



def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.service)


@pytest.fixture(scope="session")
def key_prefix():
    prefix = f"autograder-test-{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.fixture(scope="session")
def postgres_url():
    """A database of its own on the machine's PostgreSQL, dropped at the end."""
    with scratch_database("autograder_test") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """Each test that uses the database runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'autograder.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade_to_head(url)
    return url


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine, key_prefix):
    """A session factory on a database emptied after the test (and the test's Redis keys)."""
    yield make_session_factory(engine)
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(sa.text(f"DELETE FROM {table}"))
    client = redis.Redis.from_url(REDIS_URL)
    for queue in client.scan_iter(match=f"{key_prefix}{IDLE_QUEUE}*"):
        client.delete(queue)
    client.close()


@pytest.fixture
def settings(database_url, key_prefix, sessions):
    return make_settings(database_url, key_prefix)


@pytest.fixture
def make_client(settings):
    """Builds a TestClient of the app (its lifespan run), optionally with another clock or
    settings: `make_client(clock=lambda: when)`."""
    clients = []

    def build(clock=utc_now, **overrides) -> TestClient:
        app = create_app(settings.model_copy(update=overrides), clock=clock, sweep=False)
        client = TestClient(app, raise_server_exceptions=True).__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_client):
    return make_client()


@pytest.fixture
def users(sessions):
    """alice and bob (students), tess (TA), robot (CI)."""
    tokens = Users()
    with sessions.begin() as session:
        for name, role in [("alice", "student"), ("bob", "student"), ("tess", "ta"),
                           ("robot", "ci")]:
            tokens[name] = create_user(session, name, role, utc_now())[1]
    return tokens


@pytest.fixture
def assignment_with():
    """Writes an assignment file that is hw1's with other [course] rules, removed after the
    test: `assignment_with(tables, only_latest_counts="true")` -> its name (values in TOML;
    `tables` appended)."""
    written = []

    def write(tables: str = "", **course: str) -> str:
        name = f"test-{uuid.uuid4().hex[:8]}"
        text = (HIDDEN_TESTS_DIR / "hw1.toml").read_text()
        for key, value in course.items():
            text, found = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.M)
            if not found:
                text = text.replace("\n[course]\n", f"\n[course]\n{key} = {value}\n", 1)
        path = HIDDEN_TESTS_DIR / f"{name}.toml"
        path.write_text(text + tables)
        written.append(path)
        return name

    yield write
    for path in written:
        path.unlink(missing_ok=True)


@pytest.fixture
def start_worker(tmp_path):
    workers = []

    def start(settings: Settings, *options: str, **env: str) -> WorkerProcess:
        """`autograder worker *options` with these settings (and extra environment)."""
        worker = WorkerProcess(settings, tmp_path / f"worker-{len(workers)}.log", *options,
                               **env)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def serve(settings):
    """Serves the app with uvicorn on a free port in a thread, as `autograder serve` does:
    `serve(**settings) -> URL`."""
    servers = []

    def start(**overrides) -> str:
        port = free_port()
        served = settings.model_copy(update=overrides)
        server = uvicorn.Server(uvicorn.Config(
            create_app(served, sweep=False), host="127.0.0.1", port=port, log_level="warning",
            lifespan="on", **uvicorn_options(served)))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        wait_until(lambda: server.started, 20, what="uvicorn to start")
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="session")
def grading_worker(database_url, key_prefix, tmp_path_factory):
    """One worker per database for the whole run, on a queue of its own ("grading")."""
    settings = make_settings(database_url, key_prefix, queue_name="grading", log_format="json")
    worker = WorkerProcess(settings, tmp_path_factory.mktemp("worker") / "worker.log")
    yield worker
    worker.stop()


@pytest.fixture
def grading_api(make_client, grading_worker):
    return make_client(queue_name="grading")
