"""The queue, visible and fair: each queued submission's place in line and estimate, a
student's share of the broker (their further uploads wait their turn behind the class), and
an upload that cancels the student's earlier queued one when only the latest counts."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta

import pytest
import redis
from sqlalchemy import select

from api_helpers import IDLE_QUEUE, REDIS_URL, upload, worker_env
from app.clock import utc_now
from app.db.enums import SubmissionStatus
from app.db.models import Grade, Submission
from app.services.admission import release_stranded
from app.services.requeue import requeue_stuck
from app.services.users import create_user
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from tests.support.polling import wait_until

SOURCE = b"x = 1\n"
SLEEPS_8_S = b"import time\ntime.sleep(8)\n"
"""An mlp.py whose import takes 8 s: a grade that is surely still running when read."""


def left_alone(worker, submission_id: int) -> bool:
    """Whether the worker took this submission's message and logged that it had nothing to
    grade (its JSON log: one object a line)."""
    for line in worker.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # Celery's own lines are not JSON
        if (entry.get("submission_id") == submission_id
                and entry.get("message", "").startswith("nothing to grade")):
            return True
    return False


def read(api, users, name, submission_id) -> dict:
    answer = api.get(f"/api/v1/submissions/{submission_id}", headers=users.headers(name))
    assert answer.status_code == 200, answer.text
    return answer.json()


def broker_jobs(settings) -> list[int]:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return sorted(_job_id(raw) for raw in
                      client.lrange(settings.broker_key_prefix + IDLE_QUEUE, 0, -1))
    finally:
        client.close()


def _job_id(raw: bytes) -> int:
    import base64
    import json
    return json.loads(base64.b64decode(json.loads(raw)["body"]))[0][0]


def test_places_in_line_take_turns_per_student(api, users, sessions, settings):
    with sessions.begin() as session:
        users["cleo"] = create_user(session, "cleo", "student", utc_now())[1]
    alice = [upload(api, users["alice"], {"mlp": SOURCE}).json() for _ in range(3)]
    bob = upload(api, users["bob"], {"mlp": SOURCE}).json()
    cleo = upload(api, users["cleo"], {"mlp": SOURCE}).json()
    # One of alice's waits in the broker; her others wait their turn behind the class.
    assert broker_jobs(settings) == sorted([alice[0]["id"], bob["id"], cleo["id"]])
    places = {s["id"]: read(api, users, "tess", s["id"])["queue"]
              for s in [*alice, bob, cleo]}
    order = sorted(places, key=lambda i: places[i]["position"])
    assert order == [alice[0]["id"], bob["id"], cleo["id"], alice[1]["id"], alice[2]["id"]]
    assert [places[i]["position"] for i in order] == [1, 2, 3, 4, 5]
    # No worker serves this queue: no estimate rather than a made-up one.
    assert {(p["graders"], p["estimated_graded_at"]) for p in places.values()} == {(0, None)}
    assert places[bob["id"]]["typical_grade_s"] > 0
    # Every one of the 202 answers already says where the upload stands.
    assert alice[2]["queue"]["position"] == 3 and cleo["queue"]["position"] == 3
    listed = api.get("/api/v1/submissions", headers=users.headers("alice")).json()
    assert [s["queue"]["position"] for s in listed] == [5, 4, 1]


def test_the_sweep_leaves_a_held_submission_to_its_turn(api, users, sessions, settings):
    first, held = (upload(api, users["alice"], {"mlp": SOURCE}).json()["id"] for _ in range(2))
    later = utc_now() + timedelta(seconds=2 * settings.stuck_after_s)
    with sessions() as session:
        requeued = requeue_stuck(session, later, settings.stuck_after_s,
                                 settings.unconfirmed_after_s, True, set())
        session.commit()
    # The sent one is requeued by every rule that applies; the held one was never sent on
    # purpose and is none of the sweep's business.
    assert requeued == [first]
    with sessions() as session:
        assert session.get(Submission, held).held


def test_the_sweep_releases_a_held_submission_left_without_a_turn(api, users, sessions):
    first, held = (upload(api, users["alice"], {"mlp": SOURCE}).json()["id"] for _ in range(2))
    with sessions() as session:
        # While her first one waits in the broker, the held one waits its turn.
        assert release_stranded(session, 1, utc_now()) == []
        # The race: the worker started the first one and looked for one to release before
        # the held upload's transaction committed, so nothing released it.
        session.get(Submission, first).status = SubmissionStatus.RUNNING
        session.commit()
    with sessions() as session:
        assert release_stranded(session, 1, utc_now()) == [session.get(Submission, held).user_id]
        session.commit()
    with sessions() as session:
        assert not session.get(Submission, held).held
        assert release_stranded(session, 1, utc_now()) == []


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_students_uploads_do_not_hold_back_the_class(grading_api, users, sessions):
    alice = [upload(grading_api, users["alice"], {"mlp": SOURCE}).json()["id"]
             for _ in range(4)]
    bob = upload(grading_api, users["bob"], {"mlp": SOURCE}).json()["id"]
    everyone = [*alice, bob]
    wait_until(lambda: all(read(grading_api, users, "tess", i)["status"] == "graded"
                           for i in everyone), 180, interval_s=1, what="five grades")
    with sessions() as session:
        started = {s.id: s.started_at for s in session.scalars(
            select(Submission).where(Submission.id.in_(everyone)))}
    # First in, first out would grade bob's last; his turn comes after one or two of
    # alice's, whatever the worker had started when the uploads came.
    assert started[bob] < started[alice[2]] < started[alice[3]]


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_estimate_counts_the_running_grade_and_the_graders(grading_api, users):
    slow = upload(grading_api, users["bob"], {"mlp": SLEEPS_8_S}).json()["id"]
    wait_until(lambda: read(grading_api, users, "bob", slow)["status"] == "running", 60,
               interval_s=0.05, what="the slow grade to start")
    second, third = (upload(grading_api, users[name], {"mlp": SOURCE}).json()
                     for name in ("alice", "bob"))
    now = utc_now()
    one, two = (read(grading_api, users, "tess", s["id"])["queue"] for s in (second, third))
    assert (one["position"], two["position"], one["graders"]) == (1, 2, 1)
    typical_s = one["typical_grade_s"]
    start_one = datetime.fromisoformat(one["estimated_start_at"])
    start_two = datetime.fromisoformat(two["estimated_start_at"])
    # No grade is stored in this test yet: the typical grade is the first guess. The one
    # worker slot frees when the running grade reaches it; the second waits one more.
    assert typical_s == 30.0
    assert now - timedelta(seconds=1) < start_one <= now + timedelta(seconds=typical_s)
    assert abs((start_two - start_one).total_seconds() - typical_s) < 0.2
    assert abs((datetime.fromisoformat(two["estimated_graded_at"]) - start_two)
               .total_seconds() - typical_s) < 0.2


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_submit_wait_prints_the_place_in_line(serve, users, grading_worker, grading_api,
                                              tmp_path):
    server = serve(queue_name="grading")
    slow = upload(grading_api, users["bob"], {"mlp": SLEEPS_8_S}).json()["id"]
    wait_until(lambda: read(grading_api, users, "bob", slow)["status"] == "running", 60,
               interval_s=0.05, what="the slow grade to start")
    source = tmp_path / "mlp.py"
    source.write_bytes(SOURCE)
    done = subprocess.run([*AUTOGRADER_COMMAND, "submit", "--mlp", str(source), "--server",
                           server, "--wait"], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=120,
                          env={**worker_env(grading_api.app.state.settings),
                               "AUTOGRADER_TOKEN": users["alice"]})
    assert done.returncode == 0, done.stdout + done.stderr
    first_line = done.stdout.splitlines()[0]
    assert "queued, 1st in line, graded in about" in first_line, done.stdout
    assert "(1 grader, ~" in first_line and "s a grade)" in first_line
    assert "total:" in done.stdout


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_upload_cancels_the_earlier_queued_one_when_only_the_latest_counts(
        grading_api, grading_worker, users, sessions, assignment_with):
    latest_only = assignment_with(only_latest_counts="true")
    busy = upload(grading_api, users["bob"], {"mlp": SLEEPS_8_S}).json()["id"]
    wait_until(lambda: read(grading_api, users, "bob", busy)["status"] == "running", 60,
               interval_s=0.05, what="the slot to be taken")
    # bob's running grade is not cancelled by his next upload: only queued ones are.
    bob_next = upload(grading_api, users["bob"], {"mlp": SOURCE},
                      assignment=latest_only).json()["id"]
    first = upload(grading_api, users["alice"], {"mlp": SOURCE}, assignment=latest_only).json()
    second = upload(grading_api, users["alice"], {"mlp": SOURCE},
                    assignment=latest_only).json()
    cancelled = read(grading_api, users, "alice", first["id"])
    assert cancelled["status"] == "cancelled" and cancelled["superseded_by"] == second["id"]
    assert cancelled["queue"] is None
    event = cancelled["history"][-1]
    assert event["event"] == "cancelled"
    assert f"superseded by submission {second['id']}" in event["detail"]
    assert "counts only the latest" in event["detail"]
    listed = grading_api.get("/api/v1/submissions", headers=users.headers("alice")).json()
    assert [(s["id"], s["status"]) for s in listed] == [(second["id"], "queued"),
                                                        (first["id"], "cancelled")]
    wait_until(lambda: all(read(grading_api, users, "tess", i)["status"] == "graded"
                           for i in (busy, bob_next, second["id"])), 120, interval_s=0.5,
               what="the grades")
    # Its message was in the broker already: the worker took it and left it alone.
    wait_until(lambda: left_alone(grading_worker, first["id"]), 60,
               what="the worker to take the cancelled submission's message and leave it")
    assert read(grading_api, users, "alice", first["id"])["status"] == "cancelled"
    with sessions() as session:
        assert session.scalar(select(Grade).where(Grade.submission_id == first["id"])) is None


def test_hw1_counts_every_upload(api, users):
    first = upload(api, users["alice"], {"mlp": SOURCE}).json()["id"]
    upload(api, users["alice"], {"mlp": SOURCE})
    assert read(api, users, "alice", first)["status"] == "queued"


def test_submit_wait_says_so_when_a_later_upload_cancelled_it(serve, api, users, assignment_with,
                                                              tmp_path):
    latest_only = assignment_with(only_latest_counts="true")
    server = serve()
    source = tmp_path / "mlp.py"
    source.write_bytes(SOURCE)
    waiting = subprocess.Popen(
        [*AUTOGRADER_COMMAND, "submit", "--mlp", str(source), "--assignment", latest_only,
         "--server", server, "--wait", "--timeout", "60"], cwd=REPO_ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, env={**os.environ, "AUTOGRADER_TOKEN": users["alice"]})
    try:
        first = wait_until(lambda: api.get("/api/v1/submissions", headers=users.headers("alice"))
                           .json(), 30, what="the first upload")[0]["id"]
        later = upload(api, users["alice"], {"mlp": SOURCE}, assignment=latest_only).json()["id"]
        out, err = waiting.communicate(timeout=30)
    finally:
        waiting.kill()
    assert waiting.returncode == 1, out + err
    # No worker serves this queue: the client says so rather than guess a time.
    assert out.splitlines()[0] == (f"submission {first}: queued, 1st in line; no grader is "
                                   "running now, it waits for one")
    assert f"cancelled: superseded by submission {later}" in out
    assert f"submission {first} was cancelled: a later upload (submission {later})" in err
