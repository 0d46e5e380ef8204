"""CPU seconds spent by the service's process trees, split into the API, the workers' own
(trusted-side) work, and the sandboxes: the cost of grading that does not depend on what
else the machine runs (wall times on a shared 2-core machine do).

A process's CPU here is its own time (utime + stime) plus that of its reaped children
(cutime + cstime), so a job process reaped by its zygote, or a cold sandbox reaped by its
worker, stays counted after it exits. A worker process's only children are sandboxes (the
launcher execs bwrap), so its reaped children's time is sandbox time.
"""

from __future__ import annotations

import os

from memory import process_tree

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")
WORKER_MARK = b"autograder\x00worker"
"""In the command line of the benchmark's worker processes (parent and prefork children)."""


def _stat(pid: int) -> tuple[int, int] | None:
    """(own ticks, reaped children's ticks) of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _is_worker(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return WORKER_MARK in handle.read()
    except OSError:
        return False


def service_cpu_s(api_pid: int | None, worker_pid: int | None) -> dict[str, float]:
    """{"api", "worker", "sandbox"}: CPU seconds so far of each part."""
    parts = {"api": 0, "worker": 0, "sandbox": 0}
    for root, part in ((api_pid, "api"), (worker_pid, "worker")):
        for pid in process_tree(root) if root else []:
            ticks = _stat(pid)
            if ticks is None:
                continue
            own, reaped = ticks
            if part == "api":
                parts["api"] += own + reaped
            elif _is_worker(pid):
                parts["worker"] += own
                parts["sandbox"] += reaped
            else:
                parts["sandbox"] += own + reaped
    return {name: ticks / _TICKS_PER_S for name, ticks in parts.items()}


class CpuGroup:
    """A cpuacct cgroup holding one service process and everything it starts, sandboxes
    included (the sandbox makes its jobs' groups under its grader's own group, and cgroup v1
    charges a child's CPU to every ancestor, so a removed job group's time stays counted).
    This is what catches a cold sandbox's import, whose processes are killed before their
    parent reaps them (so /proc totals lose it)."""

    ROOT = "/sys/fs/cgroup/cpuacct"

    def __init__(self, name: str) -> None:
        own = "/"
        for line in open("/proc/self/cgroup").read().splitlines():
            _, names, path = line.split(":", 2)
            if "cpuacct" in names.split(","):
                own = path
        self.path = os.path.join(self.ROOT, own.lstrip("/"), name)
        os.makedirs(self.path)

    def add(self, pid: int) -> None:
        with open(os.path.join(self.path, "cgroup.procs"), "w") as handle:
            handle.write(str(pid))

    def usage_s(self) -> float:
        with open(os.path.join(self.path, "cpuacct.usage")) as handle:
            return int(handle.read()) / 1e9

    def remove(self) -> None:
        try:
            os.rmdir(self.path)
        except OSError:
            pass  # still holds a process or a job group: left for the sandbox's sweep
