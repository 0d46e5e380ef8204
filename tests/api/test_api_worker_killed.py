"""A worker killed with SIGKILL in the middle of a grade: the submission is still graded,
and exactly once (acks_late + reject_on_worker_lost + the visibility timeout)."""

from __future__ import annotations

import base64
import json
import os
import signal
import time
import uuid

import psutil
import pytest
import redis
from sqlalchemy import func, select

from api_helpers import REDIS_URL, upload
from app.db.models import Grade
from grader.sandbox.runner import jobs_base_dir
from tests.support.paths import REPO_ROOT
from tests.support.polling import wait_until

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


def marked_source() -> tuple[bytes, bytes]:
    """The reference mlp.py with a comment of its own, and that comment: it tells this test's
    job apart from any other in the sandboxes' work dirs."""
    marker = f"# {uuid.uuid4().hex}\n".encode()
    return (REPO_ROOT / "reference" / "mlp.py").read_bytes() + marker, marker


def in_a_sandbox(marker: bytes) -> bool:
    """True once a sandbox's /work holds the submission (the host sees the work dirs): the
    grade is under way in the sandbox, not still in the worker's trusted part."""
    for path in jobs_base_dir().glob("job-*/work/submission/mlp.py"):
        try:
            if marker in path.read_bytes():
                return True
        except OSError:
            pass  # a work dir wiped meanwhile
    return False


def broker_holds_a_copy(settings, submission_id: int) -> bool:
    """Whether Redis still has a message grading this submission, waiting in the queue or
    delivered and not acknowledged: only such a message could be delivered again."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        waiting = client.lrange(settings.broker_key_prefix + settings.queue_name, 0, -1)
        unacked = [json.loads(raw)[0] for raw in
                   client.hvals(settings.broker_key_prefix + "unacked")]
    finally:
        client.close()
    messages = [json.loads(raw) for raw in waiting] + unacked
    return any(json.loads(base64.b64decode(message["body"]))[0][0] == submission_id
               for message in messages)


def count_grades(sessions, submission_id: int) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Grade)
                              .where(Grade.submission_id == submission_id))


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_whole_worker_killed_mid_grade_is_graded_once_by_another(
        make_client, kill_settings, start_worker, sessions, users):
    api = make_client(queue_name=kill_settings.queue_name)
    first = start_worker(kill_settings)
    source, marker = marked_source()
    submission = upload(api, users["alice"], {"mlp": source}).json()["id"]
    wait_until(lambda: status_of(api, users, submission) == "running", 60, what="running")
    delivered = time.monotonic()
    wait_until(lambda: in_a_sandbox(marker), 60, what="the grade to be in its sandbox")
    first.kill()
    assert status_of(api, users, submission) == "running"
    assert count_grades(sessions, submission) == 0
    assert broker_holds_a_copy(kill_settings, submission)  # delivered, never acknowledged

    # Redis gives an unacknowledged message back once its visibility timeout has passed;
    # a worker starting after that takes it.
    time.sleep(max(0.0, delivered + VISIBILITY_TIMEOUT_S + 1 - time.monotonic()))
    second = start_worker(kill_settings)
    wait_until(lambda: status_of(api, users, submission) == "graded", 120, interval_s=0.5,
               what=f"the second worker to grade\n{second.log()[-3000:]}")
    wait_until(lambda: not broker_holds_a_copy(kill_settings, submission), 30,
               what="the broker to let go of the grade's message")
    assert count_grades(sessions, submission) == 1


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_pool_process_killed_mid_grade_is_requeued_at_once(
        make_client, kill_settings, start_worker, sessions, users):
    api = make_client(queue_name=kill_settings.queue_name)
    worker = start_worker(kill_settings)
    source, marker = marked_source()
    submission = upload(api, users["alice"], {"mlp": source}).json()["id"]
    wait_until(lambda: in_a_sandbox(marker), 60, what="the grade to be in its sandbox")
    busy_children = psutil.Process(worker.process.pid).children()
    assert busy_children, "the prefork pool has a process"
    for child in busy_children:
        os.kill(child.pid, signal.SIGKILL)
    # reject_on_worker_lost: the main process hands the message back at once. Without it the
    # message would wait in Redis's unacked set until a worker restores it: at the start of a
    # worker, or in a running one every unacked_restore_interval x throttle (10 s x 10).
    wait_until(lambda: status_of(api, users, submission) == "graded", RESTORE_PERIOD_S / 2,
               interval_s=0.5, what=f"the regrade after the lost process\n{worker.log()[-3000:]}")
    assert "WorkerLostError" in worker.log()
    assert count_grades(sessions, submission) == 1
