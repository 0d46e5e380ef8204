"""Webhooks: a stored grade is told to the course's URLs and to a CI upload's callback_url,
signed, from `autograder worker --deliveries`, retried after a 500 and a timeout, recorded
for TAs, never to hosts or addresses the course and the service do not allow, and never in
the way of grading. The receiver is a real HTTP server on 127.0.0.1, the workers real."""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import datetime, timedelta, timezone

import pytest
import redis
from sqlalchemy import select

from api_helpers import REDIS_URL, upload
from app.api.requeue_timer import sweep_once
from app.clock import utc_now
from app.queue import GradeQueue, make_celery
from app.db.models import WebhookDelivery
from app.services.grading import begin_grading, store_grade
from app.services.webhooks import attempt_delivery
from app.unit_of_work import commit_then_enqueue
from app.webhooks.signing import signature_matches
from test_api_queue import _report
from tests.support.loopback import free_port
from tests.support.polling import wait_until
from tests.support.webhook_receiver import Receiver

SOURCE = b"x = 1\n"
SECRET = secrets.token_hex(32)


@pytest.fixture
def receiver():
    served = Receiver()
    yield served
    served.close()


def webhook_settings(assignment: str = "hw1", **overrides) -> dict:
    """Settings that let webhooks reach the receiver on 127.0.0.1, retrying fast."""
    return {"webhook_secrets": {assignment: SECRET},
            "webhook_allowed_networks": ["127.0.0.1/32"], "webhook_timeout_s": 1.0,
            "webhook_retry_delay_s": 0.5, "webhook_max_attempts": 3,
            "public_url": "https://grader.example.edu", **overrides}


def deliveries(api, users, assignment: str, submission: int) -> list[dict]:
    answer = api.get(f"/api/v1/assignments/{assignment}/webhook-deliveries",
                     params={"submission": submission}, headers=users.headers("tess"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def graded(api, users, submission: int) -> bool:
    return api.get(f"/api/v1/submissions/{submission}",
                   headers=users.headers("tess")).json()["status"] == "graded"


def set_course_urls(api, users, urls: list[str], assignment: str = "hw1") -> None:
    answer = api.put(f"/api/v1/assignments/{assignment}/webhooks", headers=users.headers("tess"),
                     json={"urls": urls, "allowed_hosts": ["127.0.0.1"]})
    assert answer.status_code == 200, answer.text


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_stored_grade_is_told_signed_to_the_course_and_the_callback(
        make_client, settings, grading_worker, start_worker, users, receiver, assignment_with):
    course = assignment_with(f'\n[course.webhooks]\nurls = ["{receiver.url("/ok")}"]\n'
                                        'allowed_hosts = ["127.0.0.1"]\n')
    overrides = webhook_settings(course)
    api = make_client(queue_name="grading", **overrides)
    start_worker(settings.model_copy(update=overrides), "--deliveries")
    hooks = api.get(f"/api/v1/assignments/{course}/webhooks", headers=users.headers("tess"))
    assert hooks.json() == {"assignment": course, "urls": [receiver.url("/ok")],
                            "allowed_hosts": ["127.0.0.1"], "source": "file"}
    accepted = upload(api, users["robot"], {"mlp": SOURCE}, assignment=course, user="alice",
                      callback_url=receiver.url("/ok?from=ci"))
    assert accepted.status_code == 202, accepted.text
    submission = accepted.json()["id"]
    wait_until(lambda: len(receiver.at("/ok")) == 2, 120, interval_s=0.2, what="two deliveries")
    stored = api.get(f"/api/v1/submissions/{submission}", headers=users.headers("tess")).json()
    assert stored["status"] == "graded"
    for request in receiver.at("/ok"):
        headers = {k.lower(): v for k, v in request.headers.items()}
        assert signature_matches(request.body, SECRET, headers["x-autograder-signature"])
        assert not signature_matches(request.body + b" ", SECRET,
                                     headers["x-autograder-signature"])
        body = json.loads(request.body)
        assert body["delivery_id"] == headers["x-autograder-delivery"]
        assert str(body["timestamp"]) == headers["x-autograder-timestamp"]
        assert abs(body["timestamp"] - datetime.now(timezone.utc).timestamp()) < 120
        assert body["event"] == "grade.stored"
        assert body["submission"] == {
            "id": submission, "user": "alice", "assignment": course, "generation": 1,
            "status": "graded", "score": stored["score"], "max_score": stored["max_score"],
            "graded_at": body["submission"]["graded_at"],
            "report_url": f"https://grader.example.edu/api/v1/submissions/{submission}"}
    ids = {json.loads(r.body)["delivery_id"] for r in receiver.at("/ok")}
    recorded = deliveries(api, users, course, submission)
    assert {d["delivery_id"] for d in recorded} == ids
    assert sorted((d["source"], d["status"]) for d in recorded) == [
        ("callback", "delivered"), ("course", "delivered")]
    assert [[(a["response_status"], a["response_body"]) for a in d["attempts"]]
            for d in recorded] == [[(200, "ok")], [(200, "ok")]]
    refused = api.get(f"/api/v1/assignments/{course}/webhook-deliveries",
                      headers=users.headers("alice"))
    assert refused.status_code == 403


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_deliveries_retry_after_a_500_and_a_timeout_and_follow_no_redirect(
        make_client, settings, grading_worker, start_worker, users, receiver):
    overrides = webhook_settings()
    api = make_client(queue_name="grading", **overrides)
    start_worker(settings.model_copy(update=overrides), "--deliveries")
    urls = [receiver.url(p) for p in ("/fail-once", "/slow-once", "/redirect")]
    set_course_urls(api, users, urls)
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    wait_until(lambda: graded(api, users, submission), 120, interval_s=0.5, what="the grade")
    wait_until(lambda: all(d["status"] != "pending"
                           for d in deliveries(api, users, "hw1", submission)), 60,
               interval_s=0.5, what="the deliveries to finish")
    by_url = {d["url"]: d for d in deliveries(api, users, "hw1", submission)}
    failed_once, slow_once, redirect = (by_url[url] for url in urls)
    assert failed_once["status"] == "delivered"
    assert [a["response_status"] for a in failed_once["attempts"]] == [500, 200]
    first, second = receiver.at("/fail-once")
    assert second.at - first.at >= overrides["webhook_retry_delay_s"]
    # A retry is the same delivery: the receiver can tell it from a new one.
    assert (first.headers["X-Autograder-Delivery"] == second.headers["X-Autograder-Delivery"]
            == failed_once["delivery_id"])
    assert slow_once["status"] == "delivered"
    assert [(a["response_status"], a["error"]) for a in slow_once["attempts"]] == [
        (None, "no answer within 1 s"), (200, None)]
    assert slow_once["attempts"][0]["duration_s"] < 2.5
    assert redirect["status"] == "failed"
    assert [a["response_status"] for a in redirect["attempts"]] == [302]
    assert receiver.at("/ok") == []


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_receiver_that_never_answers_does_not_slow_grading(
        make_client, settings, grading_worker, start_worker, users, receiver):
    overrides = webhook_settings(webhook_timeout_s=60.0)
    api = make_client(queue_name="grading", **overrides)
    start_worker(settings.model_copy(update=overrides), "--deliveries")
    set_course_urls(api, users, [receiver.url("/hang")])
    told = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    wait_until(lambda: receiver.at("/hang"), 120, interval_s=0.2, what="the hanging delivery")
    accepted_at = time.monotonic()
    after = upload(api, users["bob"], {"mlp": SOURCE}).json()["id"]
    wait_until(lambda: graded(api, users, after), 60, interval_s=0.2, what="the next grade")
    # The delivery waits up to 60 s on the receiver; the next grade did not wait for it
    # (with one grading slot, it would have if deliveries ran there).
    assert time.monotonic() - accepted_at < 30
    (delivery,) = deliveries(api, users, "hw1", told)
    assert delivery["status"] == "pending" and delivery["attempts"] == []


def test_refused_urls_are_answered_at_upload_and_nothing_is_stored(make_client, users):
    api = make_client(webhook_secrets={"hw1": SECRET})
    answer = api.put("/api/v1/assignments/hw1/webhooks", headers=users.headers("tess"), json={
        "urls": [], "allowed_hosts": ["127.0.0.1", "localhost", "169.254.169.254", "[::1]",
                                      "*.example.edu"]})
    assert answer.status_code == 200, answer.text
    refusals = {
        "http://evil.example.com/hook": "may go to these hosts only",
        "http://127.0.0.1:9/hook": "resolves to 127.0.0.1",
        "http://localhost:9/hook": "loopback",
        "http://169.254.169.254/latest/meta-data/": "metadata",
        "http://[::1]:9/hook": "resolves to ::1",
        "ftp://127.0.0.1/hook": "must be http:// or https://",
        "http://user:secret@127.0.0.1/hook": "user name or password",
        "http://127.0.0.1:port/hook": "cannot be read",
        "http://nowhere.example.edu/hook": "does not resolve",
        f"http://{'a' * 64}.example.edu/hook": "is not a valid host name",
    }
    for url, reason in refusals.items():
        refused = upload(api, users["robot"], {"mlp": SOURCE}, user="alice", callback_url=url)
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["detail"].startswith("callback_url refused: ")
        assert reason in refused.json()["detail"], (url, refused.text)
    unsigned = make_client(webhook_secrets={})
    refused = upload(unsigned, users["robot"], {"mlp": SOURCE}, user="alice",
                     callback_url="https://ci.example.edu/hook")
    assert refused.status_code == 422 and "no signing secret" in refused.json()["detail"]
    set_loopback = api.put("/api/v1/assignments/hw1/webhooks", headers=users.headers("tess"),
                           json={"urls": ["http://127.0.0.1:9/"], "allowed_hosts": ["127.0.0.1"]})
    assert set_loopback.status_code == 422 and "127.0.0.1" in set_loopback.json()["detail"]
    by_student = api.put("/api/v1/assignments/hw1/webhooks", headers=users.headers("alice"),
                         json={"urls": [], "allowed_hosts": []})
    assert by_student.status_code == 403
    assert api.get("/api/v1/submissions", headers=users.headers("tess")).json() == []
    cleared = api.delete("/api/v1/assignments/hw1/webhooks", headers=users.headers("tess"))
    assert cleared.json()["source"] == "file"



def test_a_delivery_lost_on_the_way_to_redis_is_sent_by_the_sweep(make_client, settings,
                                                                   sessions, users):
    api = make_client(**webhook_settings())
    set_course_urls(api, users, [receiver_nowhere := "http://127.0.0.1:9/hook"])
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    dead = settings.model_copy(update={"broker_url": f"redis://127.0.0.1:{free_port()}/0"})
    now = utc_now()
    with sessions() as session:  # a worker stores the grade while Redis is down
        job = begin_grading(session, submission, 1, utc_now())
        store_grade(session, job, _report(10.0), 1.0, utc_now())
        commit_then_enqueue(session, GradeQueue(make_celery(dead), dead))
    (delivery,) = deliveries(api, users, "hw1", submission)
    assert (delivery["url"], delivery["status"]) == (receiver_nowhere, "pending")
    waiting = redis.Redis.from_url(REDIS_URL)
    key = settings.broker_key_prefix + settings.webhook_queue_name
    waiting.delete(key)  # what earlier tests' grades sent and no delivery worker took
    try:
        soon = make_client(clock=lambda: now + timedelta(seconds=settings.unconfirmed_after_s - 1))
        sweep_once(soon.app.state)
        assert waiting.llen(key) == 0  # the sender's grace
        later = make_client(clock=lambda: now + timedelta(seconds=settings.unconfirmed_after_s + 5))
        sweep_once(later.app.state)
        assert waiting.llen(key) == 1
        sweep_once(later.app.state)
        assert waiting.llen(key) == 1  # sent and noted: not sent twice
        later.app.state.broker_run_id = "a run before a restart"  # Redis lost its lists
        sweep_once(later.app.state)
        assert waiting.llen(key) == 2
    finally:
        waiting.delete(key)
        waiting.close()


def test_a_delivery_whose_worker_died_holding_its_retry_is_sent_again(make_client, settings,
                                                                      sessions, users):
    overrides = webhook_settings(webhook_retry_delay_s=0.2, webhook_overdue_after_s=2.0)
    quick = settings.model_copy(update=overrides)
    api = make_client(**overrides)
    set_course_urls(api, users, ["http://127.0.0.1:9/hook"])  # nothing listens there
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    waiting = redis.Redis.from_url(REDIS_URL)
    key = settings.broker_key_prefix + settings.webhook_queue_name
    waiting.delete(key)  # what earlier tests' grades sent and no delivery worker took
    try:
        with sessions() as session:  # the grade is stored and its delivery sent
            job = begin_grading(session, submission, 1, utc_now())
            store_grade(session, job, _report(10.0), 1.0, utc_now())
            commit_then_enqueue(session, GradeQueue(make_celery(quick), quick))
        ((pk, attempts_made),) = [message_args(raw) for raw in waiting.lrange(key, 0, -1)]
        assert attempts_made == 0
        waiting.delete(key)  # a delivery worker took it, and then:
        first = attempt_delivery(sessions, quick, pk, attempts_made=0)
        assert (first.in_s, first.attempts_made) == (0.2, 1)
        # ...died holding the retry. Not overdue yet: nothing is sent.
        sweep_once(api.app.state)
        assert waiting.llen(key) == 0
        # Overdue (0.2 s of backoff + 2 s): the sweep sends it again, with the attempts made.
        wait_until(lambda: sweep_once(api.app.state) is not None and waiting.llen(key) == 1,
                   15, interval_s=0.2, what="the sweep to send the overdue delivery again")
        assert [message_args(raw) for raw in waiting.lrange(key, 0, -1)] == [[pk, 1]]
        sweep_once(api.app.state)
        assert waiting.llen(key) == 1  # sent again once, not on every sweep
        # The dead worker's message, if Redis ever hands it on, is stale and dropped...
        assert attempt_delivery(sessions, quick, pk, attempts_made=0) is None
        # ...while the one the sweep sent makes the next attempt.
        second = attempt_delivery(sessions, quick, pk, attempts_made=1)
        assert (second.in_s, second.attempts_made) == (0.4, 2)
        (delivery,) = deliveries(api, users, "hw1", submission)
        assert len(delivery["attempts"]) == 2 and delivery["status"] == "pending"
    finally:
        waiting.delete(key)
        waiting.close()


def message_args(raw: bytes) -> list:
    """The task arguments of a Celery message as Redis holds it."""
    return json.loads(base64.b64decode(json.loads(raw)["body"]))[0]


def test_a_repeated_idempotency_key_with_another_callback_url_is_refused(make_client, users):
    api = make_client(**webhook_settings())
    set_course_urls(api, users, [])
    first, again, other = (
        upload(api, users["robot"], {"mlp": SOURCE}, user="alice", callback_url=url,
               headers={"Idempotency-Key": "commit-1"})
        for url in ("http://127.0.0.1:9/a", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"))
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 409 and "Idempotency-Key" in other.json()["detail"]


def test_an_attempt_checks_the_address_and_the_secret_again(make_client, settings, sessions,
                                                            users):
    allowed = webhook_settings()
    api = make_client(**allowed)
    set_course_urls(api, users, ["http://127.0.0.1:9/hook", "http://127.0.0.1:9/other"])
    submission = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    with sessions.begin() as session:
        job = begin_grading(session, submission, 1, utc_now())
        store_grade(session, job, _report(10.0), 1.0, utc_now())
    loopback, other = sorted(deliveries(api, users, "hw1", submission), key=lambda d: d["url"])
    pks = {}
    with sessions() as session:
        for delivery in session.scalars(select(WebhookDelivery)):
            pks[delivery.url] = delivery.id
    # The service no longer lets webhooks reach its loopback (say, the setting was removed
    # after the grade): the attempt is refused, not sent.
    no_loopback = settings.model_copy(update={**allowed, "webhook_allowed_networks": []})
    assert attempt_delivery(sessions, no_loopback, pks[loopback["url"]]) is None
    no_secret = settings.model_copy(update={**allowed, "webhook_secrets": {}})
    assert attempt_delivery(sessions, no_secret, pks[other["url"]]) is None
    refused, unsigned = sorted(deliveries(api, users, "hw1", submission), key=lambda d: d["url"])
    assert refused["status"] == "refused"
    assert "loopback" in refused["attempts"][0]["error"]
    assert unsigned["status"] == "failed"
    assert "no signing secret for hw1" in unsigned["attempts"][0]["error"]
    assert attempt_delivery(sessions, no_loopback, pks[loopback["url"]]) is None  # done
    assert [len(d["attempts"]) for d in deliveries(api, users, "hw1", submission)] == [1, 1]
