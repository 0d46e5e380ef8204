"""An infrastructure fault (here: no bubblewrap on the worker's PATH) is retried, and when
the retries are spent the submission says `error` with no score: never a student's zero.
A student's own broken code is graded at once, without retries, and so is a fault of the
grader's own code, which would fail the same way on every try."""

from __future__ import annotations

import uuid

import pytest

from api_helpers import upload
from tests.support.paths import REPO_ROOT
from tests.support.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


def read(api, users, submission_id):
    return api.get(f"/api/v1/submissions/{submission_id}", headers=users.headers("alice")).json()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sandbox_fault_is_retried_then_stored_as_error(make_client, settings, start_worker,
                                                      users, tmp_path):
    faulty = settings.model_copy(update={"queue_name": f"fault-{uuid.uuid4().hex[:6]}",
                                         "task_max_retries": 1, "task_retry_delay_s": 0.5})
    api = make_client(queue_name=faulty.queue_name)
    worker = start_worker(faulty, PATH=str(tmp_path))  # no bwrap to be found
    submission = upload(api, users["alice"],
                        {"mlp": (REPO_ROOT / "reference" / "mlp.py").read_bytes()}).json()["id"]
    body = wait_until(lambda: (b := read(api, users, submission))["status"] == "error" and b,
                      90, interval_s=0.3, what=f"the error\n{worker.log()[-3000:]}")
    assert body["score"] is None and body["max_score"] is None
    assert body["report"]["status"] == "error"
    assert any("not your fault" in error for error in body["report"]["errors"])
    assert worker.log().count("infrastructure fault, retrying") == 1
    assert "retries spent" in worker.log()
    scores = api.get("/api/v1/assignments/hw1/scores", headers=users.headers("tess")).json()
    assert [row for row in scores if row["user"] == "alice"] == [
        {"user": "alice", "graded_submissions": 0}]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_students_own_error_is_graded_without_retry(make_client, settings, start_worker, users):
    own = settings.model_copy(update={"queue_name": f"own-{uuid.uuid4().hex[:6]}"})
    api = make_client(queue_name=own.queue_name)
    worker = start_worker(own)
    broken = b"import numpy as np\n\nclass Linear(\n"  # a syntax error
    submission = upload(api, users["alice"], {"mlp": broken}).json()["id"]
    body = wait_until(lambda: (b := read(api, users, submission))["status"] in ("graded", "error")
                      and b, 90, interval_s=0.3, what="the grade")
    assert "retrying" not in worker.log()
    # Nothing of the file could run: the engine says `error`, in the student's words.
    assert body["status"] == "error" and body["score"] is None
    assert "syntax error on line 3" in body["report"]["errors"][0]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_file_that_crashed_the_integrity_scan_is_graded_without_retry(
        make_client, settings, start_worker, users):
    # Issue 11: a 600-term sum made the scan raise RecursionError outside its guard, and the
    # worker retried it for two minutes as an infrastructure fault.
    own = settings.model_copy(update={"queue_name": f"deep-{uuid.uuid4().hex[:6]}"})
    api = make_client(queue_name=own.queue_name)
    worker = start_worker(own)
    source = (REPO_ROOT / "reference" / "mlp.py").read_bytes() + \
        b"\nx = " + b" + ".join([b"1"] * 600) + b"\n"
    submission = upload(api, users["alice"], {"mlp": source}).json()["id"]
    body = wait_until(lambda: (b := read(api, users, submission))["status"] in ("graded", "error")
                      and b, 120, interval_s=0.3, what=f"the grade\n{worker.log()[-3000:]}")
    assert "retrying" not in worker.log()
    assert body["status"] == "graded" and body["score"] == body["max_score"] == 80


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_fault_that_repeats_identically_is_stored_at_once(make_client, settings,
                                                           start_worker, users):
    # A bug in the grader's own code fails the same way on every try, as that RecursionError
    # did. One is raised here for real: a malformed machine-wide limit, which the engine
    # reads (ValueError) while it grades. Retrying would only delay the answer.
    faulty = settings.model_copy(update={"queue_name": f"bug-{uuid.uuid4().hex[:6]}",
                                         "task_max_retries": 3, "task_retry_delay_s": 5.0})
    api = make_client(queue_name=faulty.queue_name)
    worker = start_worker(faulty, AUTOGRADER_SANDBOX_MAX_LIMITS="no_such_limit=1")
    submission = upload(api, users["alice"], {"mlp": b"x = 1\n"}).json()["id"]
    # With three retries (5 + 10 + 20 s) it would take 35 s.
    body = wait_until(lambda: (b := read(api, users, submission))["status"] == "error" and b,
                      20, interval_s=0.3, what=f"the error\n{worker.log()[-3000:]}")
    assert "retrying" not in worker.log()
    assert "repeats identically" in worker.log()
    assert body["score"] is None and body["report"]["status"] == "error"
    assert any("not your fault" in error for error in body["report"]["errors"])
