"""Cleaning up after a grader that died mid-job (SIGKILL, power loss, OOM of the worker).

The sandbox itself dies with its grader (--die-with-parent), but the job's tmpfs stays
mounted, its directory stays on disk and its cgroups stay in the hierarchy. Every live job
holds an exclusive flock on `<job dir>/lock`; a job dir whose lock can be taken belongs to
no live process and is removed. The next grader run does this, once per process.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import time
from pathlib import Path

from grader.sandbox.cgroups import CGROUP_ROOT, CONTROLLERS, _own_cgroup_v1

MNT_DETACH = 2
LOCK_NAME = "lock"
_libc = ctypes.CDLL(None, use_errno=True)


def hold_job_lock(job_root: Path) -> int:
    """Take the job dir's lock for as long as the returned fd stays open. Locked under a
    temporary name, then renamed: a sweeper never sees the lock file unlocked."""
    temporary = job_root / f"{LOCK_NAME}.new"
    fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    os.rename(temporary, job_root / LOCK_NAME)
    return fd


def remove_stale_jobs(base: Path) -> list[Path]:
    """Remove the job dirs under `base` that no live process holds; returns them."""
    removed = []
    if not base.is_dir():
        return removed
    for root in base.glob("job-*"):
        try:
            fd = os.open(root / LOCK_NAME, os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            continue  # being created right now: its lock file comes first thing
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            work = root / "work"
            if os.path.ismount(work):
                _libc.umount2(str(work).encode(), MNT_DETACH)
            shutil.rmtree(root, ignore_errors=True)
            removed.append(root)
        finally:
            os.close(fd)
    return removed


STALE_CGROUP_AGE_S = 60
"""A live job's group is empty only between its creation and the launcher joining it
(milliseconds) and after its last process died, before its owner removes it (milliseconds);
an empty group older than this belongs to a dead grader."""


def remove_stale_cgroups() -> int:
    """Remove old, empty autograder-* groups under this process's own groups; returns how
    many. A group with processes is never touched."""
    count = 0
    now = time.time()
    for controller in CONTROLLERS:
        own = _own_cgroup_v1(controller)
        if own is None:
            continue
        parent = CGROUP_ROOT / controller / own.lstrip("/")
        for group in parent.glob("autograder-*"):
            try:
                if now - group.stat().st_mtime < STALE_CGROUP_AGE_S:
                    continue
                if (group / "cgroup.procs").read_text().strip():
                    continue
                group.rmdir()
                count += 1
            except OSError:
                pass
    return count
