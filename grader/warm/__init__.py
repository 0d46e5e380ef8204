"""Warm sandboxes: pay for `import torch` once per worker process, not once per job.

    from grader.warm import run_job          # drop-in for grader.sandbox.run_job
    with run_job(SandboxJob("mlp_harness.py", files), limits) as result:
        ...

Each worker process keeps AUTOGRADER_WARM_ZYGOTES fork servers (grader/harness/zygote.py)
running under the sandbox policy with torch, torchvision, numpy and cv2 imported; each job
runs in a fresh child forked from one of them and leaves nothing behind for the next. See
docs/warm-sandboxes.md for how isolation is kept and how it is tested.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator

from grader.sandbox.job import SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.warm.errors import NotWarmable, WarmError, ZygoteLost
from grader.warm.pool import PoolStats, WarmPool
from grader.warm.settings import WarmSettings

__all__ = ["NotWarmable", "PoolStats", "WarmError", "WarmPool", "WarmSettings", "ZygoteLost",
           "default_pool", "run_job", "shutdown"]

_lock = threading.Lock()
_pool: WarmPool | None = None
_pool_pid = 0


def default_pool() -> WarmPool:
    """This process's pool, made on first use from AUTOGRADER_WARM_* settings. Per process:
    a forked Celery child builds its own (its parent's zygotes are not its children)."""
    global _pool, _pool_pid
    with _lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = WarmPool(WarmSettings.from_env()), os.getpid()
        return _pool


@contextmanager
def run_job(job: SandboxJob, limits: Limits) -> Iterator[SandboxResult]:
    """grader.sandbox.run_job's contract, through this process's warm pool."""
    with default_pool().run_job(job, limits) as result:
        yield result


def shutdown() -> None:
    """Kill this process's zygotes (a worker's shutdown hook; atexit does it otherwise)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None and _pool_pid == os.getpid():
        pool.close()
