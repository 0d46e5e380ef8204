"""The warm pool of one worker process: N zygotes kept ready, one job per zygote at a time,
doubtful zygotes replaced in the background, cold runs whenever warm cannot be trusted.

`WarmPool.run_job(job, limits)` has the contract of grader.sandbox.run_job (a context
manager yielding a SandboxResult whose workdir holds out/ until the block ends), so the
engine cannot tell which one ran its job.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from grader.sandbox.errors import SandboxError
from grader.sandbox.job import SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.runner import default_policy
from grader.sandbox.runner import run_job as cold_run_job
from grader.warm.errors import NotWarmable
from grader.warm.forkserver import Zygote
from grader.warm.settings import WarmSettings

log = logging.getLogger(__name__)

MAX_START_FAILURES = 3
"""Consecutive failed starts after which the pool stops trying: every job of this process
then runs cold, which is slower but right (a worker restart tries again)."""
RETRY_DELAY_S = 5.0
"""Seconds before starting again after a failed start, times the failures so far."""


@dataclass
class PoolStats:
    """Counters for logs, tests and the benchmark."""

    warm_runs: int = 0
    cold_runs: int = 0
    started: int = 0
    discarded: int = 0
    start_failures: int = 0
    last_discard: str = ""
    """Why the last zygote was thrown away (for logs and tests)."""


class WarmPool:
    """Zygotes of one process. Thread-safe: concurrent run_job calls each get their own
    zygote, or wait for one."""

    def __init__(self, settings: WarmSettings | None = None,
                 policy: SandboxPolicy | None = None) -> None:
        self.settings = settings or WarmSettings.from_env()
        self.policy = policy
        self.stats = PoolStats()
        self._cond = threading.Condition()
        self._idle: list[Zygote] = []
        self._starting = 0
        self._busy = 0
        self._failures = 0
        self._closed = False
        self._serial = 0
        # Every zygote is started from this one thread, which lives as long as the process:
        # bwrap's --die-with-parent is PR_SET_PDEATHSIG, which fires when the *thread* that
        # started it exits (measured: a zygote started from a short-lived thread died with
        # it), not only when the process does.
        self._requests: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._spawn_loop, name="warm-spawner", daemon=True).start()

        # At exit the zygotes die anyway (bwrap --die-with-parent), but their tmpfs mounts
        # and cgroups would stay until a later process's stale sweep: close them here.
        atexit.register(self.close)
        if self.settings.enabled:
            for _ in range(self.settings.zygotes):
                self._start_one(delay_s=0.0)

    # -- the contract -----------------------------------------------------------------
    @contextmanager
    def run_job(self, job: SandboxJob, limits: Limits) -> Iterator[SandboxResult]:
        """Run `job` in a warm zygote when one is trusted, else cold; same results either way."""
        limits = limits.capped_by_environment()
        zygote = self._acquire()
        result = None
        if zygote is not None:
            try:
                result = zygote.run(job, limits)
            except NotWarmable as reason:
                log.info("job runs cold: %s", reason)
                self._release(zygote, zygote.reset())
                zygote = None
            except (SandboxError, OSError, ValueError) as error:
                # ZygoteLost and anything unexpected: this job's warm result is unknown.
                zygote.doubtful = zygote.doubtful or f"{type(error).__name__}: {error}"
                log.warning("zygote %s lost during a job, rerunning it cold: %s",
                            zygote.name, zygote.doubtful)
                self._release(zygote, False)
                zygote = None
        if zygote is None:
            with self._cond:
                self.stats.cold_runs += 1
            with cold_run_job(job, limits, self.policy or default_policy()) as cold:
                yield cold
            return
        with self._cond:
            self.stats.warm_runs += 1
        try:
            yield result
        finally:
            # Reset here, in the caller's time (~15 ms: wipe, clean-up, checks, next spare
            # forked). Tried in a background thread: no gain measurable back to back on 2
            # shared cores (bench/pool_latency.py), so the simpler order stays.
            self._release(zygote, zygote.reset())

    # -- lending zygotes --------------------------------------------------------------
    def _acquire(self) -> Zygote | None:
        """An idle zygote; waits while one is starting or busy; None when none will come
        (warm off, closed, or starts keep failing): then the job runs cold."""
        deadline = time.monotonic() + self.settings.start_timeout_s
        with self._cond:
            while True:
                if self._closed or not self.settings.enabled:
                    return None
                if self._idle:
                    self._busy += 1
                    return self._idle.pop()
                if self._starting == 0 and self._busy == 0:
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def _release(self, zygote: Zygote, healthy: bool) -> None:
        with self._cond:
            self._busy -= 1
            if healthy and not self._closed:
                self._idle.append(zygote)
                self._cond.notify_all()
                return
            self.stats.discarded += 1
            self.stats.last_discard = zygote.doubtful or "pool closed"
            # Counted as starting before the lock is let go: a waiter never sees a moment
            # with the old one gone and the new one not yet on its way.
            self._start_one_locked(delay_s=0.0, replacing=zygote)
        if not self._closed:
            log.warning("zygote %s discarded: %s", zygote.name, self.stats.last_discard)

    def _start_one(self, delay_s: float, replacing: Zygote | None = None) -> None:
        with self._cond:
            self._start_one_locked(delay_s, replacing)

    def _start_one_locked(self, delay_s: float, replacing: Zygote | None) -> None:
        if self._closed:
            if replacing is not None:
                self._requests.put((None, 0.0, replacing))  # closed by the spawner thread
            return
        self._starting += 1
        self._serial += 1
        self._requests.put((f"z{self._serial}", delay_s, replacing))

    def _spawn_loop(self) -> None:
        while True:
            self._start_worker(*self._requests.get())

    def _start_worker(self, name: str | None, delay_s: float, replacing: Zygote | None) -> None:
        if replacing is not None:
            replacing.close()  # here, not in the caller: closing costs ~50-200 ms
        if name is None:
            return  # only a close (the pool is closed)
        if delay_s:
            time.sleep(delay_s)
        zygote = Zygote(self.settings, self.policy or default_policy(), name)
        try:
            zygote.start()
        except (SandboxError, OSError, ValueError, KeyError) as error:
            zygote.close()
            with self._cond:
                self._starting -= 1
                self._failures += 1
                self.stats.start_failures += 1
                failures = self._failures
                if failures < MAX_START_FAILURES:
                    self._start_one_locked(RETRY_DELAY_S * failures, None)
                self._cond.notify_all()
            log.error("zygote %s failed to start (%d in a row): %s", name, failures, error)
            return
        with self._cond:
            self._starting -= 1
            if self._closed:
                zygote.close()
                return
            self._failures = 0
            self.stats.started += 1
            self._idle.append(zygote)
            self._cond.notify_all()
        log.info("zygote %s ready: %s", name, zygote.hello)

    # -- life -------------------------------------------------------------------------
    def wait_ready(self, timeout_s: float | None = None) -> bool:
        """Block until every zygote is started (or given up) and no reset is pending; True
        when all are idle."""
        deadline = time.monotonic() + (timeout_s or self.settings.start_timeout_s)
        with self._cond:
            while (self._starting or self._busy) and time.monotonic() < deadline:
                self._cond.wait(max(0.0, deadline - time.monotonic()))
            return len(self._idle) == self.settings.zygotes

    def idle_zygotes(self) -> list[Zygote]:
        with self._cond:
            return list(self._idle)

    def close(self) -> None:
        """Kill every idle zygote; busy ones are killed when their job returns them.
        Safe to call again (atexit does)."""
        atexit.unregister(self.close)
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for zygote in idle:
            zygote.close()
