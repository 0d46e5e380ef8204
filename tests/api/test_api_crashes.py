"""Crashed parts (issue 11, point 7): for each single crash, a burst of uploads with the
crash in the middle, then every accepted submission is graded exactly once within its bound.

The real service on loopback (bench/faults.py drives it and prints the same figures): a
redis-server of this test's own (AOF, fsync every second; the machine's Redis is never
touched), `autograder serve` and `autograder worker` as subprocesses, PostgreSQL (only the
connections of this test's application_name are terminated). Short timings: sweep every
2 s, leases of 6 s; the visibility timeout keeps its hour, so none of this is its work.

Before the database-driven requeue, each of these left submissions waiting: the killed
worker's (and the one it had prefetched) until the visibility timeout, the uploads accepted
while Redis was down until stuck_after_s (30 min)."""

from __future__ import annotations

import sys

import httpx
import pytest

from tests.support.databases import POSTGRES_ADMIN_URL, scratch_database
from tests.support.paths import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
import faults  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

UPLOADS = 20
REQUEUED_WITHIN_S = 60
"""Fault to the last requeue after it; the first comes within lease + sweep (8 s), later
ones when a job a worker held unstarted is seen out of Redis's list (+3 s grace each)."""
GRADED_WITHIN_S = 120
"""Fault to the last grade (the issue's 2 minutes): a 20-upload burst drains in 10-20 s."""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    """A database of its own (the shared test database is emptied between tests, and its
    rows would outlive them here), dropped at the end."""
    with scratch_database("autograder_crashes") as url:
        service = faults.Deployment(url, tmp_path_factory.mktemp("crashes"), concurrency=1)
        try:
            service.start()
            roster = faults.Roster(service, 1 + UPLOADS * len(faults.FAULTS))
            faults.warm_up(service, roster)
            yield service, roster
        finally:
            service.shutdown()


@pytest.mark.parametrize("fault", faults.FAULTS)
def test_every_accepted_upload_is_graded_once_after_a_crash(deployment, fault):
    service, roster = deployment
    figures = faults.run_burst(service, roster, fault, UPLOADS, POSTGRES_ADMIN_URL,
                               grade_timeout_s=GRADED_WITHIN_S + 60)
    print(figures.row())
    logs = f"{figures.row()}\nlogs in {service.work}"
    assert figures.lost == 0 and figures.graded == figures.accepted, logs
    assert figures.duplicated == 0, logs
    assert figures.drain_s <= GRADED_WITHIN_S, logs
    assert figures.recovery_s <= REQUEUED_WITHIN_S, logs
    # No answer is a 5xx: an API that was down refuses at the socket (or drops the
    # connection it was killed with), anything else is accepted.
    assert not any(outcome.startswith("5") for outcome in figures.refused), logs
    if fault != "api-restart":
        # db-terminate (point 8): a dropped connection is retried, never answered 500.
        assert figures.accepted == UPLOADS, logs
    if fault in ("worker-kill", "redis-kill"):
        assert figures.requeued_ids, f"the fault cost nothing to recover from\n{logs}"
        # The submission says what happened to it.
        body = httpx.get(f"{service.base_url}/api/v1/submissions/{figures.requeued_ids[0]}",
                         headers={"Authorization": f"Bearer {roster.token}"}).json()
        events = [event["event"] for event in body["history"]]
        assert events[0] == "accepted" and "requeued after a fault" in events, events
        assert events[-1] in ("graded", "error"), events
