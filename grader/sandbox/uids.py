"""A host uid of its own for each running job.

Why not one shared uid (nobody) for all: RLIMIT_NPROC counts the processes of a uid across
the whole machine, so with a shared uid one job's processes count against another's; with a
uid per job it is that job's own limit (it matters where there is no pids cgroup). It also
means two jobs never own each other's files or processes, whatever else went wrong.

A uid is held by an exclusive flock on a file named for it, so concurrent graders (threads,
worker processes) never hand out the same one; the kernel drops the lock if the holder dies.
"""

from __future__ import annotations

import fcntl
import os
import random
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.errors import SandboxStartError

FIRST_UID = 2_000_000_000
"""Far above any login user (1000+), system user (<1000), nobody (65534) and the usual
/etc/subuid ranges (100000+), so a job's uid is nobody else's. Below 2**31: bwrap 0.8
rejects larger uids ("setting up uid map: Invalid argument", measured at 3e9)."""
SLOTS = 4096
"""uids in the pool: jobs that can run at once on one machine."""
LOCK_DIR = Path("/run/lock/autograder-uids") if Path("/run/lock").is_dir() else Path("/tmp/.autograder-uids")


@dataclass
class JobUid:
    """One job's host uid (also its gid), held until release()."""

    uid: int
    _fd: int

    @classmethod
    def acquire(cls, lock_dir: Path = LOCK_DIR) -> "JobUid":
        lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        start = random.randrange(SLOTS)
        for offset in range(SLOTS):
            uid = FIRST_UID + (start + offset) % SLOTS
            fd = os.open(lock_dir / str(uid), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue
            return cls(uid=uid, _fd=fd)
        raise SandboxStartError(f"all {SLOTS} sandbox uids are in use")

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
