"""What a finished sandbox job must not have left on the host."""

from __future__ import annotations

import time
from pathlib import Path

from tests.support.host_processes import processes_with


def assert_nothing_left(token: str, host_dir: Path, jobs_dir: Path, outwait_s: float = 0.0) -> None:
    """No process carrying the token, no file in the host dir but the planted secret, no job
    dir. `outwait_s`: an attack that would act late (a daemon that writes after N seconds) is
    waited out first, so that a marker it could still write is seen; no state says it will
    not come."""
    time.sleep(outwait_s)
    assert processes_with(token) == [], "a process of the job outlived it"
    planted = {"secret.txt"}
    assert sorted(p.name for p in host_dir.iterdir() if p.name not in planted) == []
    assert list(jobs_dir.iterdir()) == [], "a job's work dir was left behind"
