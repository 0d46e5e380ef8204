"""One job's share of its zygote's cgroups: the job's limits set on the group before the
fork, its counters as differences from that moment (a CgroupMeter from a baseline), and a
kill of every process that is not the zygote's own.

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

from dataclasses import dataclass

from grader.sandbox.cgroups import CgroupMeter, JobCgroup
from grader.sandbox.limits import Limits
from grader.warm.errors import NotWarmable

COLD_OVERHEAD_PROCESSES = 2
"""bwrap and its init: counted against `processes` in a cold run too."""


@dataclass
class JobAccounting:
    """A zygote's cgroup, lent to one job at a time."""

    cgroup: JobCgroup
    zygote_pids: frozenset[int]
    """Host pids of bwrap, its init and the zygote: never killed between jobs."""
    idle_tasks: int
    """pids.current of the idle zygote's group (processes and threads)."""
    zygote_memory_mb: int

    def begin(self, limits: Limits) -> CgroupMeter:
        """Set the job's limits on the group; the meter counts from now."""
        memory_mb = min(limits.memory_mb, self.zygote_memory_mb)
        try:
            self.cgroup.allow(memory_mb, self.idle_tasks + limits.processes - COLD_OVERHEAD_PROCESSES)
            self.cgroup.reset_peak_memory()
        except OSError as error:
            # EBUSY: the limit is below what the idle zygote already holds.
            self.cgroup.set_memory_limit(self.zygote_memory_mb)
            raise NotWarmable(f"memory limit {memory_mb} MB does not fit the zygote: {error}") from error
        return CgroupMeter(self.cgroup, self.cgroup.counters())

    # -- after the job ----------------------------------------------------------------
    def job_pids(self) -> list[int]:
        return [pid for pid in self.cgroup.pids() if pid not in self.zygote_pids]

    def kill_job(self) -> bool:
        """SIGKILL every process of the group that is not the zygote's; True when none is
        left (the cgroup's freeze-kill-thaw, sparing the zygote's own three)."""
        return self.cgroup.kill_members(keep=self.zygote_pids)

    def restore(self) -> None:
        """Back to the idle zygote's limits."""
        self.cgroup.set_memory_limit(self.zygote_memory_mb)
