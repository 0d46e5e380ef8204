"""Measuring a job's process tree from /proc, for machines where cgroups are not writable
(a container without a delegated cgroup). Coarser than a cgroup (polled, and shared pages
are counted once per process), so the runner uses it only as the fallback and says so.

The tree is everything descended from the bwrap process: a double-forked daemon is adopted
by the sandbox's own init (pid 1 of its namespace), which is itself a child of bwrap, so it
stays in the tree.
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


def sample_tree(root_pid: int) -> TreeSample:
    """The tree under root_pid (included): pids, summed RSS and CPU seconds."""
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
    pids, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        if pid in fields:
            pids.append(pid)
            todo += children.get(pid, [])
    rss_pages = sum(int(fields[pid][21]) for pid in pids)
    # utime + stime (fields 14, 15 of stat; 12, 13 after the name) of live processes;
    # cutime + cstime add the children they have already reaped.
    ticks = sum(int(fields[pid][i]) for pid in pids for i in (11, 12, 13, 14))
    threads = sum(int(fields[pid][17]) for pid in pids)  # num_threads, field 20 of stat
    return TreeSample(pids=pids, threads=threads, rss_mb=rss_pages * _PAGE_BYTES / 2**20,
                      cpu_time_s=ticks / _TICKS_PER_S)


class ProcMeter:
    """A cold job's tree measured by polling /proc (the Meter where cgroups are not
    writable): peaks are the largest seen in a poll."""

    def __init__(self, root_pid: int, limits: Limits) -> None:
        self.root_pid, self.limits = root_pid, limits

    def sample(self, seen: Seen) -> Outcome | None:
        sample = sample_tree(self.root_pid)
        seen.cpu_time_s = max(seen.cpu_time_s, sample.cpu_time_s)
        seen.peak_memory_mb = max(seen.peak_memory_mb, sample.rss_mb)
        if sample.rss_mb > self.limits.memory_mb:
            return Outcome.MEMORY
        # RLIMIT_NPROC refuses the fork itself; its count includes bwrap and the sandbox's
        # init (host uid nobody too), so the job tops out 2 below it.
        if sample.threads >= self.limits.processes - 2:
            return Outcome.PROCESSES
        return None

    def limit_after(self) -> Outcome | None:
        """Nothing to read once the tree is gone: /proc keeps no counters of the dead."""
        return None
