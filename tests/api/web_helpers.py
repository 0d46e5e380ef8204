"""Helpers of the web page tests: signing a client in as a browser does, reading CSRF values."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.clock import utc_now
from app.services.grading import begin_grading, store_grade
from grader.report import Artifact, Report, TestResult

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
UPLOAD_ACTION = re.compile(r'action="(/upload\?csrf_token=[^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def sign_in(client: TestClient, token: str) -> str:
    """Signs the client in with `token` through the sign-in form; the session's CSRF value."""
    form = client.get("/signin")
    response = client.post("/signin", data={"token": token, "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/", follow_redirects=True).text)


def upload_action(html: str) -> str:
    match = UPLOAD_ACTION.search(html)
    assert match, "no upload form in the page"
    return match.group(1).replace("&amp;", "&")


def store_report(sessions, submission_id: int, report: Report) -> None:
    """Stores `report` as the submission's grade, through the worker's own service calls."""
    with sessions.begin() as session:
        job = begin_grading(session, submission_id, 1, utc_now())
        assert job is not None
        store_grade(session, job, report, duration_s=1.0, now=utc_now())


def mlp_report(mistake: str | None = None, seed: int = 7) -> Report:
    """A report of every mlp item, linear.backward wrong by `mistake` when one is given,
    and gd's checks with a picture."""
    tests = []
    for layer in ["linear", "relu", "sigmoid", "identity", "mse_loss", "bce_loss"]:
        for direction in ["forward", "backward"]:
            wrong = mistake is not None and (layer, direction) == ("linear", "backward")
            tests.append(TestResult(
                name=f"mlp.{layer}.{direction}", layer=layer, direction=direction,
                score=3.0 if wrong else 8.0, max_score=8.0,
                status="failed" if wrong else "passed",
                output=f"24 of 32 cases wrong: {mistake}; more" if wrong else "all 32 cases passed",
                staff_output="seed 7; case linear-b-3 B=4 (hidden config)"))
    tests.append(TestResult(name="gd.target_probability", layer="gd",
                            direction="target_probability", score=10.0, max_score=10.0,
                            status="passed", output="every class reached p >= 0.9"))
    return Report(status="graded", score=sum(t.score for t in tests),
                  max_score=sum(t.max_score for t in tests), seed=seed, grader_version="test",
                  tests=tests, artifacts=[Artifact("gd.png", "image/png", PNG_1PX)])


# A 1x1 PNG: the page shows whatever image the grade stored.
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082")
