"""One job's share of its zygote's cgroups: limits set before the fork, counters read as
differences from that moment, and a kill of every process that is not the zygote's own.

Why the zygote's cgroup and not one per job: processes cannot be moved into a cgroup from
inside the sandbox, and the trusted side cannot move the child before it runs (it learns
its pid only after the fork), so a job's process would run a while uncounted. In the
zygote's group it is counted from its first instruction. The zygote sits idle while its one
job runs (it waits in waitpid), so the group's counters move only for the job:
- memory: the limit is on zygote + job, as in a cold run where it is on the fresh
  interpreter's torch import + job; the job's oom_score_adj (1000) makes the kernel kill the
  job's processes first;
- CPU: cpuacct.usage difference; the zygote's own few ms of fork and wait are in it;
- processes: pids.max = what the zygote holds idle + the job's limit, minus the two
  processes (bwrap and its init) that a cold run's count includes as well.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from grader.sandbox.cgroups import JobCgroup
from grader.sandbox.job import Outcome
from grader.sandbox.limits import Limits
from grader.warm.errors import NotWarmable

COLD_OVERHEAD_PROCESSES = 2
"""bwrap and its init: counted against `processes` in a cold run too."""


@dataclass
class JobAccounting:
    """Counters of one job, as differences from begin()."""

    cgroup: JobCgroup
    zygote_pids: frozenset[int]
    """Host pids of bwrap, its init and the zygote: never killed between jobs."""
    idle_tasks: int
    """pids.current of the idle zygote's group (processes and threads)."""
    zygote_memory_mb: int
    cpu_start_s: float = 0.0
    oom_start: int = 0
    pids_max_start: int = 0
    limits: Limits | None = None

    def begin(self, limits: Limits) -> None:
        """Set the job's limits on the group and start its counters."""
        memory_mb = min(limits.memory_mb, self.zygote_memory_mb)
        try:
            self._set_memory_limit(memory_mb * 2**20)
            # Peak from now: writing 0 resets max_usage to the current usage (zygote's).
            self._write("memory", "memory.max_usage_in_bytes", "0")
        except OSError as error:
            # EBUSY: the limit is below what the idle zygote already holds.
            self._set_memory_limit(self.zygote_memory_mb * 2**20)
            raise NotWarmable(f"memory limit {memory_mb} MB does not fit the zygote: {error}") from error
        self._write("pids", "pids.max",
                    str(self.idle_tasks + limits.processes - COLD_OVERHEAD_PROCESSES))
        self.cpu_start_s = self.cgroup.cpu_time_s()
        self.oom_start = self._oom_kills()
        self.pids_max_start = self._pids_max_events()
        self.limits = limits

    def _set_memory_limit(self, limit_bytes: int) -> None:
        # memsw (memory + swap) must stay >= memory: raise it first, lower it last.
        memsw = self.cgroup.dirs["memory"] / "memory.memsw.limit_in_bytes"
        current = int(self._read("memory", "memory.limit_in_bytes"))
        order = ["memsw", "mem"] if limit_bytes > current else ["mem", "memsw"]
        for which in order:
            if which == "mem":
                self._write("memory", "memory.limit_in_bytes", str(limit_bytes))
            elif memsw.exists():
                memsw.write_text(str(limit_bytes))

    def _read(self, controller: str, name: str) -> str:
        return (self.cgroup.dirs[controller] / name).read_text()

    def _write(self, controller: str, name: str, value: str) -> None:
        (self.cgroup.dirs[controller] / name).write_text(value)

    def _oom_kills(self) -> int:
        for line in self._read("memory", "memory.oom_control").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return int(self._read("memory", "memory.failcnt").split()[0])

    def _pids_max_events(self) -> int:
        events = self._read("pids", "pids.events").split()
        return int(events[1]) if len(events) >= 2 else 0

    # -- while the job runs -----------------------------------------------------------
    def cpu_time_s(self) -> float:
        return self.cgroup.cpu_time_s() - self.cpu_start_s

    def peak_memory_mb(self) -> float:
        return self.cgroup.peak_memory_mb()

    def limit_hit(self) -> Outcome | None:
        """The limit the job went over, as far as the counters show."""
        if self._pids_max_events() > self.pids_max_start:
            return Outcome.PROCESSES
        if self._oom_kills() > self.oom_start:
            return Outcome.MEMORY
        if self.limits is not None and self.cpu_time_s() > self.limits.cpu_time_s:
            return Outcome.CPU_TIME
        return None

    # -- after it ---------------------------------------------------------------------
    def job_pids(self) -> list[int]:
        return [pid for pid in self.cgroup.pids() if pid not in self.zygote_pids]

    def kill_job(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process of the group that is not the zygote's; True when none is
        left. Frozen while listing and killing, so a fork bomb cannot outrun the list
        (SIGKILL is delivered on thaw); the zygote is frozen with them for those ~ms."""
        freezer = self.cgroup.dirs["freezer"] / "freezer.state"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.job_pids():
                return True
            freezer.write_text("FROZEN")
            try:
                for pid in self.job_pids():
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            finally:
                freezer.write_text("THAWED")
            time.sleep(0.005)
        return not self.job_pids()

    def restore(self) -> None:
        """Back to the idle zygote's limits."""
        self._set_memory_limit(self.zygote_memory_mb * 2**20)
