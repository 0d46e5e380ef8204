"""The queue and the record: a job is sent only after its row is committed, the sweep
requeues what is stuck, and a grade stored twice stays one grade."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api_helpers import IDLE_QUEUE, REDIS_URL, upload
from app.clock import utc_now
from app.db.models import Grade, Submission, User
from app.queue import GradeQueue, make_celery
from app.services.grading import begin_grading, store_grade
from app.api.requeue_timer import sweep_once
from app.services.requeue import requeue_stuck
from app.unit_of_work import commit_then_enqueue, grade_after_commit
from grader import report as reports

SOURCE = b"x = 1\n"


@pytest.fixture
def queued_jobs(settings):
    """Reads the (submission id, generation) of every job waiting in the test's queue."""
    client = redis.Redis.from_url(REDIS_URL)

    def read() -> list[tuple[int, int]]:
        messages = client.lrange(settings.broker_key_prefix + IDLE_QUEUE, 0, -1)
        jobs = []
        for raw in reversed(messages):  # LPUSH: the oldest is last
            message = json.loads(raw)
            args = json.loads(_body(message))[0]
            jobs.append(tuple(args))
        return jobs

    yield read
    client.close()


def _body(message: dict) -> str:
    import base64
    return base64.b64decode(message["body"]).decode()


def test_accepted_upload_queues_one_job_naming_it(api, users, queued_jobs):
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    assert queued_jobs() == [(submission, 1)]
    assert "autograder_queue_depth 1.0" in api.get("/metrics").text


def test_refused_upload_queues_nothing(api, users, queued_jobs):
    assert upload(api, users["alice"], {"mlp": b""}).status_code == 422
    assert upload(api, users["tess"], {"mlp": SOURCE}).status_code == 403
    assert queued_jobs() == []


def test_no_job_is_sent_when_the_commit_fails(sessions, settings, users, queued_jobs):
    queue = GradeQueue(make_celery(settings), settings)
    session = sessions()
    session.add(User(name="alice", role="student", token_hash="x" * 64, created_at=utc_now()))
    grade_after_commit(session, 12345, 1)
    with pytest.raises(IntegrityError):  # the duplicate name fails the commit
        commit_then_enqueue(session, queue)
    session.rollback()
    session.close()
    assert queued_jobs() == []


def test_sweep_requeues_only_what_is_stuck(make_client, sessions, settings, users, queued_jobs):
    start = utc_now()
    old = upload(make_client(clock=lambda: start), users["alice"], {"mlp": SOURCE}).json()["id"]
    later = start + timedelta(seconds=settings.stuck_after_s)
    fresh = upload(make_client(clock=lambda: later), users["bob"], {"mlp": SOURCE}).json()["id"]
    queue = GradeQueue(make_celery(settings), settings)
    with sessions() as session:
        running = session.get(Submission, fresh)
        running.status, running.started_at = "running", later
        session.commit()
        requeued = requeue_stuck(session, later + timedelta(seconds=1), settings.stuck_after_s,
                                 settings.unconfirmed_after_s)
        commit_then_enqueue(session, queue)
    assert requeued == [old]
    assert queued_jobs() == [(old, 1), (fresh, 1), (old, 1)]
    with sessions() as session:
        assert session.get(Submission, old).queued_at == later + timedelta(seconds=1)
        session.get(Submission, fresh).started_at = start  # a worker died on it long ago
        session.commit()
        requeued = requeue_stuck(session, later + timedelta(seconds=2), settings.stuck_after_s,
                                 settings.unconfirmed_after_s)
        assert requeued == [fresh]
        assert session.get(Submission, fresh).status == "queued"


def test_the_apps_sweep_requeues_and_sends(make_client, settings, users, queued_jobs):
    start = utc_now()
    submission = upload(make_client(clock=lambda: start), users["alice"],
                        {"mlp": SOURCE}).json()["id"]
    later = make_client(clock=lambda: start + timedelta(seconds=settings.stuck_after_s + 1))
    assert sweep_once(later.app.state) == [submission]
    assert queued_jobs() == [(submission, 1), (submission, 1)]
    assert sweep_once(later.app.state) == []  # queued_at restarted


def _report(score: float) -> reports.Report:
    test = reports.TestResult(name="mlp.linear.forward", layer="linear", direction="forward",
                      score=score, max_score=10.0, status="passed" if score == 10 else "failed",
                      output="ok", staff_output="case 3: W[0, 1]")
    return reports.Report(status="graded", score=score, max_score=10.0, seed=7, grader_version="t",
                  tests=[test])


def test_grading_twice_stores_one_grade(api, sessions, users):
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    with sessions.begin() as session:
        first = begin_grading(session, submission, 1, utc_now())
    with sessions.begin() as session:
        second = begin_grading(session, submission, 1, utc_now())  # redelivered meanwhile
    assert first is not None and second is not None and first.files == {"mlp.py": SOURCE}
    with sessions.begin() as session:
        assert store_grade(session, first, _report(10.0), 1.5, utc_now()) is True
    with sessions.begin() as session:
        assert store_grade(session, second, _report(3.0), 1.5, utc_now()) is False
    with sessions.begin() as session:
        assert begin_grading(session, submission, 1, utc_now()) is None  # graded: nothing to do
        assert session.scalar(select(func.count()).select_from(Grade)) == 1
    body = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("alice")).json()
    assert body["status"] == "graded" and body["score"] == 10.0
    assert "staff_output" not in body["report"]["tests"][0]


def test_a_superseded_generation_does_not_overwrite_the_regrade(api, sessions, users):
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    with sessions.begin() as session:
        stale = begin_grading(session, submission, 1, utc_now())
    api.post(f"/api/v1/submissions/{submission}/regrade", headers=users.headers("tess"))
    with sessions.begin() as session:
        assert begin_grading(session, submission, 1, utc_now()) is None
        store_grade(session, stale, _report(3.0), 1.0, utc_now())
    body = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("tess")).json()
    assert body["status"] == "queued" and body["report"] is None


def test_late_penalty_is_applied_to_the_stored_score(make_client, sessions, users):
    from app.course import load_course_rules

    deadline = load_course_rules("hw1").deadline
    api = make_client(clock=lambda: deadline + timedelta(hours=30))  # 2 days late
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    with sessions.begin() as session:
        job = begin_grading(session, submission, 1, utc_now())
        store_grade(session, job, _report(10.0), 1.0, utc_now())
    body = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("tess")).json()
    assert body["late_days"] == 2 and body["late_penalty_percent"] == 20.0
    assert body["score"] == 8.0 and body["report"]["score_before_penalty"] == 10.0
    assert body["report"]["tests"][0]["staff_output"] == "case 3: W[0, 1]"
