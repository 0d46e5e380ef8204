"""Measuring a job's process tree from /proc, for machines where cgroups are not writable
(a container without a delegated cgroup). Coarser than a cgroup (polled), so the runner uses
it only as the fallback and says so. Memory is the processes' summed RSS, which counts a page
they share (a fork's copy of torch) once per process: only when that sum is over the limit
are their proportional shares (PSS) read, which cost milliseconds a process, and judged.

The tree is everything descended from the launcher's process. Under bwrap a double-forked
daemon is adopted by the sandbox's own init (pid 1 of its namespace), a child of bwrap, so
it stays in the tree. The fallback isolation has no PID namespace: there the launcher is a
child subreaper (fallback_launcher.py), so orphans are adopted by it instead of the host's
init, and every process of the job's uid (its own, uids.py) is counted as well, in the tree
or not.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from grader.sandbox.job import Outcome
from grader.sandbox.limits import Limits
from grader.sandbox.supervision import Seen

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


@dataclass
class TreeSample:
    """One look at the tree."""

    pids: list[int]
    threads: int
    """Threads of all its processes: what RLIMIT_NPROC and pids.max count."""
    rss_mb: float
    cpu_time_s: float


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return text[text.rfind(")") + 2:].split()


def _uid_is(pid: int, uid: int) -> bool:
    """pid's real, effective or saved uid is `uid` (the job cannot change its uids)."""
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("Uid:"):
                    return str(uid) in line.split()[1:4]
    except OSError:
        pass
    return False


def sample_tree(root_pid: int, uid: int | None = None) -> TreeSample:
    """The tree under root_pid (included), and every process of `uid` when given: pids,
    summed RSS and CPU seconds."""
    children: dict[int, list[int]] = {}
    fields: dict[int, list[str]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        stat = _stat_fields(pid)
        if stat is None:
            continue
        fields[pid] = stat
        children.setdefault(int(stat[1]), []).append(pid)
    pids, todo = set(), [root_pid]
    if uid is not None:
        todo += [pid for pid in fields if _uid_is(pid, uid)]
    while todo:
        pid = todo.pop()
        if pid in fields and pid not in pids:
            pids.add(pid)
            todo += children.get(pid, [])
    rss_pages = sum(int(fields[pid][21]) for pid in pids)
    # utime + stime (fields 14, 15 of stat; 12, 13 after the name) of live processes;
    # cutime + cstime add the children they have already reaped.
    ticks = sum(int(fields[pid][i]) for pid in pids for i in (11, 12, 13, 14))
    threads = sum(int(fields[pid][17]) for pid in pids)  # num_threads, field 20 of stat
    return TreeSample(pids=sorted(pids), threads=threads, rss_mb=rss_pages * _PAGE_BYTES / 2**20,
                      cpu_time_s=ticks / _TICKS_PER_S)


def proportional_mb(pids: list[int], summed_rss_mb: float) -> float:
    """The processes' memory with each shared page split among its sharers (PSS); the
    summed RSS when a process's shares cannot be read (another uid's, without privilege)."""
    total_kb = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as handle:
                total_kb += next((int(line.split()[1]) for line in handle
                                  if line.startswith("Pss:")), 0)
        except (FileNotFoundError, ProcessLookupError):
            continue  # gone since the sample: it holds nothing now
        except OSError:
            return summed_rss_mb
    return total_kb / 1024


class ProcMeter:
    """A cold job's tree measured by polling /proc (the Meter where cgroups are not
    writable): peaks are the largest seen in a poll. `uid`: the job's own uid, whose every
    process is the job's (the fallback isolation, where a process can leave the tree)."""

    def __init__(self, root_pid: int, limits: Limits, uid: int | None = None) -> None:
        self.root_pid, self.limits, self.uid = root_pid, limits, uid

    def sample(self, seen: Seen) -> Outcome | None:
        sample = sample_tree(self.root_pid, self.uid)
        seen.cpu_time_s = max(seen.cpu_time_s, sample.cpu_time_s)
        memory_mb = sample.rss_mb
        if memory_mb > self.limits.memory_mb and len(sample.pids) > 1:
            memory_mb = proportional_mb(sample.pids, memory_mb)
        seen.peak_memory_mb = max(seen.peak_memory_mb, memory_mb)
        if memory_mb > self.limits.memory_mb:
            return Outcome.MEMORY
        # RLIMIT_NPROC refuses the fork itself; its count includes bwrap and the sandbox's
        # init (host uid nobody too), so the job tops out 2 below it.
        if sample.threads >= self.limits.processes - 2:
            return Outcome.PROCESSES
        return None

    def limit_after(self) -> Outcome | None:
        """Nothing to read once the tree is gone: /proc keeps no counters of the dead."""
        return None
