"""An infrastructure fault (here: no bubblewrap on the worker's PATH) is retried, and when
the retries are spent the submission says `error` with no score: never a student's zero.
A student's own broken code is graded at once, without retries."""

from __future__ import annotations

import uuid

import pytest

from api_helpers import REPO, upload, wait_for

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
                        {"mlp": (REPO / "reference" / "mlp.py").read_bytes()}).json()["id"]
    body = wait_for(lambda: (b := read(api, users, submission))["status"] == "error" and b,
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
    body = wait_for(lambda: (b := read(api, users, submission))["status"] in ("graded", "error")
                    and b, 90, interval_s=0.3, what="the grade")
    assert "retrying" not in worker.log()
    # Nothing of the file could run: the engine says `error`, in the student's words.
    assert body["status"] == "error" and body["score"] is None
    assert "syntax error on line 3" in body["report"]["errors"][0]
