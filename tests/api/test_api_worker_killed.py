"""A worker killed with SIGKILL in the middle of a grade: the submission is still graded,
and exactly once (acks_late + reject_on_worker_lost + the visibility timeout)."""

from __future__ import annotations

import os
import signal
import time
import uuid

import psutil
import pytest
from sqlalchemy import func, select

from api_helpers import REPO, upload, wait_for
from app.db.models import Grade

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

VISIBILITY_TIMEOUT_S = 15
"""Short for the test; longer than one grade of the reference mlp.py here (about 7 s)."""
RESTORE_PERIOD_S = 100
"""How often a running worker looks for messages past their visibility timeout (kombu)."""


@pytest.fixture
def kill_settings(settings):
    return settings.model_copy(update={"queue_name": f"kill-{uuid.uuid4().hex[:6]}",
                                       "visibility_timeout_s": VISIBILITY_TIMEOUT_S})


def status_of(api, users, submission_id: int) -> str:
    return api.get(f"/api/v1/submissions/{submission_id}",
                   headers=users.headers("tess")).json()["status"]


def count_grades(sessions, submission_id: int) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Grade)
                              .where(Grade.submission_id == submission_id))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_whole_worker_killed_mid_grade_is_graded_once_by_another(
        make_client, kill_settings, start_worker, sessions, users):
    api = make_client(queue_name=kill_settings.queue_name)
    first = start_worker(kill_settings)
    submission = upload(api, users["alice"],
                        {"mlp": (REPO / "reference" / "mlp.py").read_bytes()}).json()["id"]
    wait_for(lambda: status_of(api, users, submission) == "running", 60, what="running")
    delivered = time.monotonic()
    time.sleep(1.0)  # inside the sandbox by now
    first.kill()
    assert status_of(api, users, submission) == "running"
    assert count_grades(sessions, submission) == 0

    # Redis gives an unacknowledged message back once its visibility timeout has passed;
    # a worker starting after that takes it.
    time.sleep(max(0.0, delivered + VISIBILITY_TIMEOUT_S + 1 - time.monotonic()))
    second = start_worker(kill_settings)
    wait_for(lambda: status_of(api, users, submission) == "graded", 120, interval_s=0.5,
             what=f"the second worker to grade\n{second.log()[-3000:]}")
    time.sleep(2.0)  # a duplicate delivery, if any, would have stored by now
    assert count_grades(sessions, submission) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_pool_process_killed_mid_grade_is_requeued_at_once(
        make_client, kill_settings, start_worker, sessions, users):
    api = make_client(queue_name=kill_settings.queue_name)
    worker = start_worker(kill_settings)
    submission = upload(api, users["alice"],
                        {"mlp": (REPO / "reference" / "mlp.py").read_bytes()}).json()["id"]
    wait_for(lambda: status_of(api, users, submission) == "running", 60, what="running")
    time.sleep(1.0)
    busy_children = psutil.Process(worker.process.pid).children()
    assert busy_children, "the prefork pool has a process"
    for child in busy_children:
        os.kill(child.pid, signal.SIGKILL)
    # reject_on_worker_lost: the main process hands the message back at once. Without it the
    # message would wait in Redis's unacked set until a worker restores it: at the start of a
    # worker, or in a running one every unacked_restore_interval x throttle (10 s x 10).
    wait_for(lambda: status_of(api, users, submission) == "graded", RESTORE_PERIOD_S / 2,
             interval_s=0.5, what=f"the regrade after the lost process\n{worker.log()[-3000:]}")
    assert "WorkerLostError" in worker.log()
    assert count_grades(sessions, submission) == 1
