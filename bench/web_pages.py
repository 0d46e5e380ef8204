"""Time of the TA pages (and a student's) with a class of 500 students x 20 graded
submissions each, on the machine's PostgreSQL, through the real app in-process.

    .venv/bin/python bench/web_pages.py [--students 500] [--per-student 20] [--runs 5]

Seeds a database of its own (dropped at the end) with reports shaped like the grader's (every
mlp and gd item, feedback with named mistakes, staff output; no file contents, which no page
reads), signs a TA and a student in
through the sign-in form, and prints the median and slowest time of each page and its size.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages

from tests.support.databases import scratch_database  # noqa: E402

MISTAKES = {
    "mlp.linear.backward": [
        "grads['dJdb1'] is averaged over the batch; the bias gradient is the sum",
        "grads['dJdW1'] is transposed: it must have the shape of W1"],
    "mlp.relu.backward": ["dJdz is not zero where z < 0: the ReLU derivative below zero is 0"],
    "mlp.sigmoid.backward": [
        "the sigmoid derivative is computed from z instead of from sigmoid(z)"],
    "mlp.mse_loss.backward": ["dJdy_hat is a sum over the elements; it must be the mean"],
    "mlp.bce_loss.backward": ["dJdy_hat has the wrong sign"],
}


def synthetic_report(rng: random.Random, seed: int):
    """A report of every item, each failing with a named mistake at some rate."""
    from grader.report import Report, TestResult

    tests = []
    for layer in ["linear", "relu", "sigmoid", "identity", "mse_loss", "bce_loss"]:
        for direction in ["forward", "backward"]:
            name = f"mlp.{layer}.{direction}"
            wrong = name in MISTAKES and rng.random() < 0.3
            output = (f"{rng.randint(1, 30)} of 32 cases wrong: {rng.choice(MISTAKES[name])}"
                      if wrong else "all 32 cases passed")
            staff = f"seed {seed}; " + "case B=4 h=5 z-range [-3, 3]; " * 8
            tests.append(TestResult(name, layer, direction, 3.0 if wrong else 8.0, 8.0,
                                    "failed" if wrong else "passed", output=output,
                                    staff_output=staff))
    for check in ["target_probability", "shape_and_range", "model_unchanged", "finite"]:
        tests.append(TestResult(f"gd.{check}", "gd", check, 5.0, 5.0, "passed",
                                output="every call passed"))
    return Report("graded", sum(t.score for t in tests), sum(t.max_score for t in tests), seed,
                  "bench", tests)


def seed_class(url: str, students: int, per_student: int) -> tuple[str, str]:
    """The class in the database, inserted in bulk; (a TA's token, a student's token)."""
    from sqlalchemy import insert

    from app.clock import utc_now
    from app.db.engine import make_engine, make_session_factory
    from app.db.models import Grade, Submission
    from app.services.users import create_user

    rng = random.Random(1)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start = utc_now() - timedelta(days=30)
    with sessions.begin() as session:
        ta_token = create_user(session, "tess", "ta", start)[1]
        users = [create_user(session, f"student{i:03d}", "student", start) for i in range(students)]
    student_token = users[0][1]
    with sessions.begin() as session:
        for index, (user, _) in enumerate(users):
            reports, rows = [], []
            for n in range(per_student):
                at = start + timedelta(hours=n, minutes=index)
                report = synthetic_report(rng, rng.randrange(2**31))
                reports.append((report, at))
                rows.append(dict(user_id=user.id, submitted_by_id=user.id, assignment="hw1",
                                 status="graded", generation=1, created_at=at, queued_at=at,
                                 graded_at=at, late_days=0, late_penalty_percent=0.0,
                                 score=report.score, max_score=report.max_score))
            ids = session.scalars(insert(Submission).returning(Submission.id), rows).all()
            session.execute(insert(Grade), [dict(
                submission_id=submission_id, generation=1, status="graded",
                raw_score=report.score, score=report.score, max_score=report.max_score,
                seed=report.seed, grader_version="bench", report_student=report.to_dict("student"),
                report_staff=report.to_dict("staff"), duration_s=5.0, graded_at=at)
                for submission_id, (report, at) in zip(ids, reports)])
    engine.dispose()
    return ta_token, student_token


def signed_in(app, token: str):
    from fastapi.testclient import TestClient

    client = TestClient(app).__enter__()
    form = client.get("/signin").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    assert client.post("/signin", data={"token": token, "csrf_token": csrf},
                       follow_redirects=False).status_code == 303
    return client


def time_page(client, path: str, runs: int) -> str:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    return (f"{path:<40} median {statistics.median(times) * 1000:6.0f} ms, slowest "
            f"{max(times) * 1000:6.0f} ms, {size / 1024:6.0f} KB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--per-student", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from app.db.migrate import upgrade_to_head
    from app.main import create_app
    from app.settings import Settings

    with scratch_database("autograder_bench") as url:
        upgrade_to_head(url)
        started = time.perf_counter()
        ta_token, student_token = seed_class(url, args.students, args.per_student)
        print(f"seeded {args.students} students x {args.per_student} graded submissions in "
              f"{time.perf_counter() - started:.0f} s")
        settings = Settings(_env_file=None, environment="test", database_url=url,
                            broker_url="redis://127.0.0.1:6379/13",
                            broker_key_prefix=f"autograder-bench-{uuid.uuid4().hex[:8]}:",
                            queue_name="no-worker")
        app = create_app(settings, sweep=False)
        ta, student = signed_in(app, ta_token), signed_in(app, student_token)
        first = re.search(r'href="/submissions/(\d+)"', student.get("/").text).group(1)
        for client, path in [(ta, "/class/hw1"), (ta, "/class/hw1?sort=best"),
                             (ta, "/class/hw1?find=student04&status=graded"),
                             (ta, "/class/hw1/scores.csv"), (ta, f"/submissions/{first}"),
                             (student, "/"), (student, f"/submissions/{first}")]:
            print(time_page(client, path, args.runs))
        for client in (ta, student):
            client.__exit__(None, None, None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
