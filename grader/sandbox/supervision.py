"""One supervision core for every sandboxed job, cold or warm: how it is watched (one loop
over its output and its counters), how it ends (every process killed, pipes drained, last
measurements) and how its Outcome is built. What it is allowed is its Limits, enforced here
against a Meter; how its process was started is the one thing the caller supplies (a
Started: bwrap for a cold job, a fork of a zygote for a warm one), so a warm and a cold run
of the same job are judged by the same code (tests/warm/test_warm_matches_cold.py).

The core trusts its own measurements (the clock, the counters, the work dir) over anything
the job could fake, such as its exit code.
"""

from __future__ import annotations

import os
import selectors
import time
from dataclasses import dataclass, field
from typing import Protocol, Sequence

from grader.sandbox import messages
from grader.sandbox.ending import ended_by_itself, split_exit_status
from grader.sandbox.job import Outcome, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture, drain
from grader.sandbox.workdir import WorkDir

POLL_S = 0.05
"""Seconds between limit checks: a memory or process overrun is caught within 50 ms."""
DRAIN_S = 2.0
"""Seconds to keep reading the pipes after the job is dead (they close at once then)."""
DISK_WALK_SHARE = 0.1
"""At most this share of the trusted side's time goes to walking a plain work dir (no tmpfs):
a walk that took 20 ms waits 200 ms for the next one, not 50."""


@dataclass
class Seen:
    """What the trusted side saw of one job, cold or warm."""

    started: bool = False
    """The job's process was set up and ran (else any failure is the sandbox's)."""
    stopped_for: Outcome | None = None
    """The limit the trusted side stopped the job for while it ran."""
    limit_after: Outcome | None = None
    """A limit the counters show once it ended by itself (an OOM kill, a refused fork)."""
    exit_status: int | None = None
    """As bwrap reports it: the exit code, or 128 + a signal number; None when the trusted
    side killed the job before it ended by itself."""
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0
    peak_memory_mb: float = 0.0
    problems: list[str] = field(default_factory=list)
    """Faults of the sandbox itself noticed on the way (a counter that could not be read)."""
    survivors: list[str] = field(default_factory=list)
    """What of the job outlived its kill: the result is INTERNAL, never a grade stored with
    a process of the job still running (as a warm job's is ZygoteLost)."""


class Meter(Protocol):
    """Where a job's CPU, memory and processes are counted: its cgroup (from a baseline),
    or /proc where cgroups are not writable."""

    def sample(self, seen: Seen) -> Outcome | None:
        """Update seen's CPU and peak memory; the limit the counters show hit, if any.
        Raises OSError when a counter cannot be read."""

    def limit_after(self) -> Outcome | None:
        """A memory or process limit hit, read once the job is dead (None without one)."""


class Reader(Protocol):
    """A pipe or socket read while the job runs."""

    fd: int
    closed: bool

    def read_available(self) -> None: ...


class Started(Protocol):
    """A job's process as its starter left it running: the one thing in which a cold and a
    warm run differ."""

    stdout: BoundedCapture
    stderr: BoundedCapture
    started_at: float
    """time.monotonic() when the job was asked to start: wall time counts from here."""

    @property
    def readers(self) -> Sequence[Reader]:
        """Every pipe to read while the job runs: stdout, stderr and the starter's own."""

    def ended(self) -> bool:
        """True once the job's process ended by itself (or its starter is gone)."""

    def each_poll(self) -> None:
        """Called every POLL_S while the job runs."""

    def kill(self, seen: Seen) -> None:
        """Kill every process of the job, whatever it did; faults to seen.problems."""

    def report(self, seen: Seen) -> None:
        """After the kill and the drain: set seen.started and seen.exit_status."""


class Supervisor:
    """Watch one started job under its limits until it ends or hits one, then end it and
    build its SandboxResult. One instance per job."""

    def __init__(self, started: Started, limits: Limits, meter: Meter, workdir: WorkDir) -> None:
        self.started, self.limits, self.meter, self.workdir = started, limits, meter, workdir
        self.seen = Seen()
        self._next_disk_walk = 0.0

    def run(self) -> SandboxResult:
        """Supervise to the end; the result is final (workdir scrubbed to plain data)."""
        started, seen = self.started, self.seen
        try:
            seen.stopped_for = self._watch()
        finally:
            started.kill(seen)
            drain(started.readers, DRAIN_S)
            seen.wall_time_s = time.monotonic() - started.started_at
        started.report(seen)
        self._last_measurements()
        self.workdir.scrub()
        return self._result()

    def _watch(self) -> Outcome | None:
        selector = selectors.DefaultSelector()
        for reader in self.started.readers:
            os.set_blocking(reader.fd, False)
            selector.register(reader.fd, selectors.EVENT_READ, reader)
        try:
            while not self.started.ended():
                for key, _ in selector.select(timeout=POLL_S):
                    key.data.read_available()
                    if key.data.closed:
                        selector.unregister(key.fd)
                self.started.each_poll()
                stop = self._limit_hit(time.monotonic() - self.started.started_at)
                if stop is not None:
                    return stop
            return None
        finally:
            selector.close()

    def _limit_hit(self, elapsed_s: float) -> Outcome | None:
        limits, seen = self.limits, self.seen
        if elapsed_s > limits.wall_time_s:
            return Outcome.WALL_TIME
        try:
            stop = self.meter.sample(seen)
            if stop is not None:
                return stop
        except OSError as error:
            seen.problems.append(f"counters could not be read: {error}")
        if seen.cpu_time_s > limits.cpu_time_s:
            return Outcome.CPU_TIME
        # A tmpfs refuses writes past its size itself; a plain directory must be measured.
        if not self.workdir.is_tmpfs and self._disk_over(limits.workdir_mb):
            return Outcome.DISK
        return None

    def _disk_over(self, limit_mb: int) -> bool:
        """A walk of the plain work dir, when one is due (DISK_WALK_SHARE of the time)."""
        began = time.monotonic()
        if began < self._next_disk_walk:
            return False
        used_mb = self.workdir.used_mb(stop_above_mb=limit_mb)
        self._next_disk_walk = began + (time.monotonic() - began) / DISK_WALK_SHARE
        return used_mb > limit_mb

    def _last_measurements(self) -> None:
        seen = self.seen
        try:
            self.meter.sample(seen)
            seen.limit_after = self.meter.limit_after()
        except OSError as error:
            seen.problems.append(f"counters could not be read: {error}")

    # -- the verdict ----------------------------------------------------------------
    def _result(self) -> SandboxResult:
        seen, started = self.seen, self.started
        exit_code, signal_number = split_exit_status(seen.exit_status)
        outcome = self._classify(exit_code, signal_number)
        if seen.survivors:
            message = messages.internal("a process of the job survived its kill")
        elif outcome is Outcome.INTERNAL:
            # The starter's own words stay in stderr (for logs): they name host paths,
            # which are none of the student's business.
            message = messages.internal("the sandbox did not start")
        else:
            message = messages.describe(outcome, self.limits, exit_code, signal_number)
        return SandboxResult(
            outcome=outcome, message=message, exit_code=exit_code, signal=signal_number,
            wall_time_s=seen.wall_time_s, cpu_time_s=seen.cpu_time_s,
            peak_memory_mb=seen.peak_memory_mb, stdout=started.stdout.data,
            stderr=started.stderr.data, workdir=self.workdir.path,
            truncated_output=bool(started.stdout.dropped_bytes or started.stderr.dropped_bytes))

    def _classify(self, exit_code: int | None, signal_number: int | None) -> Outcome:
        seen = self.seen
        if not seen.started or seen.survivors:
            return Outcome.INTERNAL
        if seen.stopped_for is not None:
            return seen.stopped_for
        if seen.limit_after is not None:
            return seen.limit_after
        if seen.exit_status is None:
            # The job's end was never reported, and not because a limit stopped it: its
            # starter failed (bwrap setting up, or its init killed from outside).
            return Outcome.INTERNAL
        return ended_by_itself(self.limits, self.workdir, seen.cpu_time_s, exit_code,
                               signal_number)
