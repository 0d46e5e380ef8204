"""The fallback launcher's cleanup on its own: without a PID namespace a daemonised child of
the job is nobody's descendant, and where cgroups are not writable (Gradescope's container)
only the job's uid still finds it. Here cgroups are writable, so the bundle's fork-bomb test
goes through them; this test gives the uid path its own check."""

from __future__ import annotations

import subprocess
import sys

from grader.sandbox.fallback import FALLBACK_LAUNCHER
from grader.sandbox.fallback_launcher import processes_of
from grader.sandbox.uids import JobUid
from tests.support.polling import wait_until

WAIT_S = 5.0


def _kill_uid(uid: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-I", "-S", str(FALLBACK_LAUNCHER), "--kill-uid",
                           str(uid)], capture_output=True, text=True, timeout=30)


def test_kill_uid_reaches_a_daemonised_process_and_nothing_else():
    job_uid, bystander_uid = JobUid.acquire(), JobUid.acquire()
    try:
        # setsid -f: a new session, forked away from its parent (the daemon's double fork).
        for uid in (job_uid.uid, bystander_uid.uid):
            subprocess.run(["setsid", "-f", "sleep", "120"], user=uid, group=uid,
                           extra_groups=[], check=True, timeout=10)
        wait_until(lambda: processes_of(job_uid.uid) and processes_of(bystander_uid.uid), WAIT_S,
                   "the daemons to start", interval_s=0.05)
        killed = _kill_uid(job_uid.uid)
        assert killed.returncode == 0, killed.stderr
        assert processes_of(job_uid.uid) == []
        assert len(processes_of(bystander_uid.uid)) == 1  # another job's process is left alone
    finally:
        _kill_uid(bystander_uid.uid)
        job_uid.release()
        bystander_uid.release()
    assert processes_of(bystander_uid.uid) == []
