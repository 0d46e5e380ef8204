"""The sweep's rules one by one, in-process and deterministic (test_api_crashes.py runs them
against real crashes): what each crash leaves in the database is requeued, with the reason
in the submission's history, and nothing else is."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from api_helpers import REDIS_URL, upload
from app.clock import utc_now
from app.db.models import Submission
from app.queue import GradeQueue, make_celery
from app.services.grading import begin_grading, store_grade
from app.api.requeue_timer import sweep_once
from test_api_queue import _report
from tests.support.loopback import free_port

SOURCE = b"x = 1\n"


class Broker:
    """The test's queue in Redis: what waits there, and a worker's taking of a job."""

    def __init__(self, settings):
        self._redis = redis.Redis.from_url(REDIS_URL)
        self._queue = GradeQueue(make_celery(settings), settings)
        self._key = settings.broker_key_prefix + settings.queue_name

    def jobs(self) -> set[tuple[int, int]]:
        return self._queue.waiting_jobs(self._redis)

    def take(self) -> None:
        assert self._redis.rpop(self._key) is not None  # kombu pushes left, pops right

    def close(self) -> None:
        self._redis.close()


@pytest.fixture
def broker(settings):
    watched = Broker(settings)
    yield watched
    watched.close()


def history(api, users, submission_id: int) -> list[tuple[str, str | None]]:
    body = api.get(f"/api/v1/submissions/{submission_id}", headers=users.headers("tess")).json()
    return [(event["event"], event["detail"]) for event in body["history"]]


def test_upload_accepted_while_redis_is_down_is_sent_by_the_sweep(
        make_client, settings, users, broker):
    redis_down = make_client(broker_url=f"redis://127.0.0.1:{free_port()}/0")
    # Taken before the upload, whose failing sends (kombu's retries) took over a second on a
    # loaded machine: measured after it, the sender's grace below had already run out.
    now = utc_now()
    response = upload(redis_down, users["alice"], {"mlp": SOURCE})
    assert response.status_code == 202  # stored: the database is the record
    submission = response.json()["id"]
    assert broker.jobs() == set()
    soon = make_client(clock=lambda: now + timedelta(seconds=settings.unconfirmed_after_s - 1))
    assert sweep_once(soon.app.state) == []  # the sender's grace
    later = make_client(clock=lambda: now + timedelta(seconds=settings.unconfirmed_after_s + 1))
    assert sweep_once(later.app.state) == [submission]
    assert broker.jobs() == {(submission, 1)}
    assert sweep_once(later.app.state) == []  # sent and confirmed now
    events = history(later, users, submission)
    assert events[0] == ("accepted", None)
    assert events[1][0] == "requeued after a fault" and "never reached the queue" in events[1][1]


def test_job_taken_from_the_queue_and_never_started_is_sent_again(
        make_client, settings, users, broker):
    api = make_client()
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    assert sweep_once(api.app.state) == []  # waiting in Redis's list: nothing to do
    broker.take()  # a worker takes it, then is killed before it claims the row
    later = make_client(clock=lambda: utc_now() + timedelta(
        seconds=settings.unconfirmed_after_s + 1))
    assert sweep_once(later.app.state) == [submission]
    assert "no worker started it" in history(later, users, submission)[-1][1]


def test_running_grade_whose_lease_ran_out_is_requeued_and_a_live_one_is_not(
        make_client, settings, users, sessions):
    api = make_client()
    dead, alive = (upload(api, users[name], {"mlp": SOURCE}).json()["id"]
                   for name in ("alice", "bob"))
    now = utc_now()
    with sessions.begin() as session:
        begin_grading(session, dead, 1, now, lease_until=now + timedelta(seconds=5))
        begin_grading(session, alive, 1, now, lease_until=now + timedelta(seconds=60))
    later = make_client(clock=lambda: now + timedelta(seconds=6))
    assert sweep_once(later.app.state) == [dead]
    assert "stopped renewing the lease" in history(later, users, dead)[-1][1]
    with sessions() as session:
        assert session.get(Submission, dead).status == "queued"
        assert session.get(Submission, alive).status == "running"


def test_a_grade_stored_while_the_sweep_looked_is_not_overwritten(
        make_client, users, sessions):
    from app.db import submissions as submissions_db

    api = make_client()
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    now = utc_now()
    with sessions.begin() as session:
        job = begin_grading(session, submission, 1, now, lease_until=now)
    with sessions() as sweep_session:
        seen = sweep_session.get(Submission, submission)  # the sweep read it as running
        with sessions.begin() as worker_session:  # the worker stores its grade meanwhile
            store_grade(worker_session, job, _report(10.0), 1.0, utc_now())
        assert not submissions_db.requeue_if_unchanged(sweep_session, seen, utc_now())
        sweep_session.commit()
    body = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("alice")).json()
    assert body["status"] == "graded" and body["score"] == 10.0
