"""Course rules of hw1.toml's [course] table: late penalty, last day, hourly cap, and the
Idempotency-Key that keeps a CI retry from making a second submission."""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta

import httpx
import pytest

from api_helpers import upload
from app.course import load_course_rules

SOURCE = b"x = 1\n"
RULES = load_course_rules("hw1")


def at(when):
    return lambda: when


def test_on_time_upload_has_no_penalty(make_client, users):
    api = make_client(clock=at(RULES.deadline))
    body = upload(api, users["alice"], {"mlp": SOURCE}).json()
    assert (body["late_days"], body["late_penalty_percent"]) == (0, 0.0)


@pytest.mark.parametrize("late_by, days", [(timedelta(seconds=1), 1), (timedelta(days=1), 1),
                                           (timedelta(days=1, seconds=1), 2)])
def test_late_upload_is_penalised_per_started_day(make_client, users, late_by, days):
    api = make_client(clock=at(RULES.deadline + late_by))
    response = upload(api, users["alice"], {"mlp": SOURCE})
    assert response.status_code == 202
    body = response.json()
    assert body["late_days"] == days
    assert body["late_penalty_percent"] == days * RULES.late_penalty_percent_per_day


def test_upload_after_the_last_day_is_refused(make_client, users, api):
    late = make_client(clock=at(RULES.last_day + timedelta(seconds=1)))
    response = upload(late, users["alice"], {"mlp": SOURCE})
    assert response.status_code == 403
    assert "uploads are closed" in response.json()["detail"]
    assert api.get("/api/v1/submissions", headers=users.headers("tess")).json() == []


def test_the_hourly_cap_answers_429_with_retry_after(make_client, users):
    start = RULES.deadline - timedelta(days=2)
    now = [start]
    api = make_client(clock=lambda: now[0])
    for minute in range(RULES.submissions_per_hour):
        now[0] = start + timedelta(minutes=minute)
        assert upload(api, users["alice"], {"mlp": SOURCE}).status_code == 202
    now[0] = start + timedelta(minutes=30)
    refused = upload(api, users["alice"], {"mlp": SOURCE})
    assert refused.status_code == 429
    # The first upload leaves the rolling hour at start + 60 min: 30 min from now.
    assert refused.headers["Retry-After"] == str(30 * 60)
    assert f"at most {RULES.submissions_per_hour} uploads" in refused.json()["detail"]
    assert upload(api, users["bob"], {"mlp": SOURCE}).status_code == 202  # per student
    now[0] = start + timedelta(minutes=60, seconds=1)
    assert upload(api, users["alice"], {"mlp": SOURCE}).status_code == 202


def test_ci_uploads_count_against_the_students_cap(make_client, users):
    api = make_client(clock=at(RULES.deadline - timedelta(days=1)))
    for _ in range(RULES.submissions_per_hour):
        upload(api, users["robot"], {"mlp": SOURCE}, user="alice")
    assert upload(api, users["alice"], {"mlp": SOURCE}).status_code == 429


def test_repeated_idempotency_key_returns_the_first_submission(api, users):
    key = {"Idempotency-Key": "commit-3f2a9c1"}
    first = upload(api, users["robot"], {"mlp": SOURCE}, user="alice", headers=key)
    again = upload(api, users["robot"], {"mlp": SOURCE}, user="alice", headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    listed = api.get("/api/v1/submissions", headers=users.headers("tess")).json()
    assert len(listed) == 1


def test_idempotency_keys_belong_to_their_sender(api, users):
    key = {"Idempotency-Key": "same-key"}
    alice = upload(api, users["alice"], {"mlp": SOURCE}, headers=key).json()["id"]
    bob = upload(api, users["bob"], {"mlp": SOURCE}, headers=key).json()["id"]
    other = upload(api, users["alice"], {"mlp": SOURCE},
                   headers={"Idempotency-Key": "another"}).json()["id"]
    assert len({alice, bob, other}) == 3


def test_an_idempotent_retry_is_not_rate_limited(make_client, users):
    api = make_client(clock=at(RULES.deadline - timedelta(days=1)))
    key = {"Idempotency-Key": "retry-me"}
    first = upload(api, users["alice"], {"mlp": SOURCE}, headers=key).json()["id"]
    for _ in range(RULES.submissions_per_hour - 1):
        upload(api, users["alice"], {"mlp": SOURCE})
    again = upload(api, users["alice"], {"mlp": SOURCE}, headers=key)
    assert again.status_code == 202 and again.json()["id"] == first


def test_parallel_retries_with_one_key_make_one_submission(serve, users):
    base = serve()
    headers = users.headers("robot") | {"Idempotency-Key": "commit-race"}

    def post(_):
        return httpx.post(f"{base}/api/v1/submissions", headers=headers, data={"user": "alice"},
                          files={"mlp": ("mlp.py", SOURCE)}, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        responses = list(pool.map(post, range(6)))
    assert [r.status_code for r in responses] == [202] * 6
    assert len({r.json()["id"] for r in responses}) == 1
    listed = httpx.get(f"{base}/api/v1/submissions", headers=users.headers("tess")).json()
    assert len(listed) == 1


@pytest.mark.parametrize("attempt", range(3))  # a race: one lucky run proves little
@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_parallel_uploads_of_one_student_respect_the_cap(serve, users, attempt):
    base = serve()
    extra = 4

    def post(_):
        return httpx.post(f"{base}/api/v1/submissions", headers=users.headers("alice"),
                          files={"mlp": ("mlp.py", SOURCE)}, timeout=30)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = sorted(r.status_code for r in pool.map(post, range(
            RULES.submissions_per_hour + extra)))
    assert codes == [202] * RULES.submissions_per_hour + [429] * extra
