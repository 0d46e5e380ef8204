"""The whole path with a real worker process and the real engine and sandbox:
upload -> queued -> running -> graded -> report, for mlp.py only, gd.py only and both."""

from __future__ import annotations

import json

import psutil
import pytest

from api_helpers import upload
from tests.support.paths import REPO_ROOT
from tests.support.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

GRADE_TIMEOUT_S = 240


def follow(api, headers, submission_id: int) -> tuple[list[str], dict]:
    """Polls until graded; returns every status seen, in order, and the final body."""
    seen: list[str] = []

    def finished():
        body = api.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        return body if body["status"] in ("graded", "error") else None

    body = wait_until(finished, GRADE_TIMEOUT_S, interval_s=0.05, what="the grade")
    return seen, body


def log_entries(worker) -> list[dict]:
    """The worker's structured log: one JSON object per line (other lines are Celery's banner)."""
    entries = []
    for line in worker.log().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def reference(name: str) -> bytes:
    return (REPO_ROOT / "reference" / name).read_bytes()


@pytest.mark.parametrize("files", [["mlp"], ["gd"], ["mlp", "gd"]],
                         ids=["mlp-only", "gd-only", "both"])
def test_upload_is_graded_and_reported(grading_api, users, files, grading_worker):
    response = upload(grading_api, users["alice"], {f: reference(f"{f}.py") for f in files})
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    seen, body = follow(grading_api, users.headers("alice"), response.json()["id"])

    assert seen[-2:] == ["running", "graded"], (seen, grading_worker.log()[-3000:])
    last_graded = [e for e in log_entries(grading_worker) if e["message"] == "graded"][-1]
    assert last_graded["submission_id"] == body["id"] and last_graded["duration_s"] > 0
    report = body["report"]
    assert report["status"] == "graded"
    ran = [t for t in report["tests"] if t["status"] != "skipped"]
    assert {t["name"].split(".")[0] for t in ran} == set(files)
    assert [t["name"] for t in ran if t["status"] != "passed"] == []
    assert body["score"] == report["score"] == sum(t["max_score"] for t in ran) > 0
    assert all("staff_output" not in t for t in report["tests"])

    staff = grading_api.get(f"/api/v1/submissions/{body['id']}",
                            headers=users.headers("tess")).json()["report"]
    assert all("staff_output" in t for t in staff["tests"])
    if "gd" in files:
        artifact = report["artifacts"][0]
        image = grading_api.get(artifact["url"], headers=users.headers("alice"))
        assert image.status_code == 200
        assert image.headers["content-type"] == artifact["media_type"]
        assert grading_api.get(artifact["url"], headers=users.headers("bob")).status_code == 404


def test_regrade_stores_a_second_grade(grading_api, users, grading_worker):
    submission = upload(grading_api, users["alice"], {"mlp": reference("mlp.py")}).json()["id"]
    _, first = follow(grading_api, users.headers("alice"), submission)
    regrade = grading_api.post(f"/api/v1/submissions/{submission}/regrade",
                               headers=users.headers("tess"))
    assert regrade.status_code == 202 and regrade.json()["status"] == "queued"
    seen, second = follow(grading_api, users.headers("tess"), submission)
    assert seen[-1] == "graded" and second["score"] == first["score"]
    assert second["report"]["seed"] != first["report"]["seed"]  # today's tests, a new seed
    assert second["graded_at"] > first["graded_at"]


def test_scores_list_every_student_with_latest_and_best(grading_api, users, grading_worker):
    broken = b"def nothing():\n    return None\n"
    good = upload(grading_api, users["alice"], {"mlp": reference("mlp.py")}).json()["id"]
    follow(grading_api, users.headers("alice"), good)
    bad = upload(grading_api, users["alice"], {"mlp": broken}).json()["id"]
    _, worse = follow(grading_api, users.headers("alice"), bad)

    rows = grading_api.get("/api/v1/assignments/hw1/scores", headers=users.headers("tess")).json()
    alice, bob = rows
    assert alice["user"] == "alice" and bob == {"user": "bob", "graded_submissions": 0}
    assert alice["latest_submission"] == bad and alice["latest_score"] == worse["score"]
    assert alice["best_submission"] == good and alice["best_score"] > worse["score"]
    assert alice["tests"]["mlp.linear.forward"] > 0

    csv_text = grading_api.get("/api/v1/assignments/hw1/scores?format=csv",
                               headers=users.headers("tess")).text
    header, alice_line, bob_line = csv_text.splitlines()
    assert header.startswith("user,graded_submissions,latest_submission,latest_score,"
                             "best_submission,best_score,max_score,mlp.linear.forward")
    assert alice_line.startswith(f"alice,2,{bad},")
    assert bob_line.startswith("bob,0,,")


def test_metrics_count_grades_and_durations(grading_api, users, grading_worker):
    submission = upload(grading_api, users["alice"], {"mlp": reference("mlp.py")}).json()["id"]
    follow(grading_api, users.headers("alice"), submission)
    text = grading_api.get("/metrics").text
    assert 'autograder_grades{status="graded"} 1.0' in text
    assert "autograder_grade_duration_seconds_count 1.0" in text
    assert 'autograder_submissions{status="graded"} 1.0' in text
    assert "autograder_queue_depth 0.0" in text


def test_the_worker_grades_in_warm_sandboxes(grading_api, users, grading_worker):
    # `autograder worker` installs the warm pool in each prefork child (app/warm_sandboxes.py):
    # fork servers with torch imported (grader/harness/zygote.py) live under the worker.
    response = upload(grading_api, users["bob"], {"mlp": reference("mlp.py")})
    seen, body = follow(grading_api, users.headers("bob"), response.json()["id"])
    assert body["status"] == "graded" and body["score"] == body["max_score"] > 0
    tree = psutil.Process(grading_worker.process.pid).children(recursive=True)
    zygotes = [p for p in tree if "/harness/zygote.py" in " ".join(_cmdline(p))]
    assert zygotes, [" ".join(_cmdline(p)) for p in tree]


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []
