"""The job's control groups (cgroup v1: memory, pids, cpuacct, freezer).

Why cgroups and not rlimits for these three: RLIMIT_AS counts virtual memory, and torch
reserves gigabytes it never touches, so a fair program would trip it; RLIMIT_NPROC counts all
processes of a uid host-wide (every concurrent job runs as host nobody); RLIMIT_CPU is per
process, so a job could split its work over processes. A cgroup counts the whole tree, and
its member list lets us kill every process the job started, double-forked or not.

Each group is made under the grader's own group of that controller, so any limit the machine
puts on the grader still applies on top.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.job import Outcome
from grader.sandbox.limits import Limits
from grader.sandbox.supervision import Seen

CGROUP_ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "pids", "cpuacct", "freezer")


def _own_cgroup_v1(controller: str) -> str | None:
    """This process's group path for a v1 controller, from /proc/self/cgroup."""
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            return path
    return None


@dataclass
class JobCgroup:
    """One job's group in each v1 controller; remove() deletes them all."""

    dirs: dict[str, Path]
    """controller -> the job's group directory."""

    @classmethod
    def create(cls, name: str, limits: Limits) -> "JobCgroup | None":
        """Make the groups and set their limits, or None where cgroup v1 is not writable
        here (then the runner polls /proc instead and says so)."""
        dirs: dict[str, Path] = {}
        try:
            for controller in CONTROLLERS:
                own = _own_cgroup_v1(controller)
                base = CGROUP_ROOT / controller
                if own is None or not (base / "cgroup.procs").exists():
                    raise OSError(f"cgroup v1 controller {controller} is not mounted")
                path = base / own.lstrip("/") / name
                path.mkdir()
                dirs[controller] = path
            group = cls(dirs)
            group.allow(limits.memory_mb, limits.processes)
            return group
        except OSError:
            cls(dirs).remove()
            return None

    def allow(self, memory_mb: int, processes: int) -> None:
        """What the group's processes may use together: a cold job's limits once, at
        creation; a warm zygote's group again before each of its jobs."""
        self.set_memory_limit(memory_mb)
        # Processes and threads alive at once: a fork bomb stops at this count (fork fails
        # with EAGAIN) instead of filling the machine's 32768 pids.
        (self.dirs["pids"] / "pids.max").write_text(str(processes))

    def set_memory_limit(self, memory_mb: int) -> None:
        """Resident memory of the group, page cache it cannot give back and tmpfs files it
        wrote included; over it the kernel OOM-kills inside the group only. OSError (EBUSY)
        when the group already holds more."""
        memory = self.dirs["memory"]
        limit_bytes = str(memory_mb * 2**20)
        memsw = memory / "memory.memsw.limit_in_bytes"
        current = int((memory / "memory.limit_in_bytes").read_text())
        # The same bound on memory + swap (swapping out must not be a way around the limit);
        # memsw must stay >= memory, so it is raised first and lowered last.
        order = ("memsw", "mem") if memory_mb * 2**20 > current else ("mem", "memsw")
        for which in order:
            if which == "mem":
                (memory / "memory.limit_in_bytes").write_text(limit_bytes)
            elif memsw.exists():
                memsw.write_text(limit_bytes)

    @property
    def procs_files(self) -> list[str]:
        """cgroup.procs of each group: where the launcher writes its pid to join."""
        return [str(path / "cgroup.procs") for path in self.dirs.values()]

    def _read_int(self, controller: str, name: str) -> int:
        return int((self.dirs[controller] / name).read_text().split()[0])

    def cpu_time_s(self) -> float:
        """CPU seconds (user + system) used by every process of the group so far."""
        return self._read_int("cpuacct", "cpuacct.usage") / 1e9

    def peak_memory_mb(self) -> float:
        """Largest memory use since the group was made or max_usage was last reset."""
        return self._read_int("memory", "memory.max_usage_in_bytes") / 2**20

    def reset_peak_memory(self) -> None:
        """Peak from now: writing 0 resets max_usage to the current usage."""
        (self.dirs["memory"] / "memory.max_usage_in_bytes").write_text("0")

    def oom_kills(self) -> int:
        """How often the kernel killed something of the group for going over memory."""
        for line in (self.dirs["memory"] / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value)
        return self._read_int("memory", "memory.failcnt")

    def forks_refused(self) -> int:
        """How often a fork or thread start in the group was refused at pids.max."""
        events = (self.dirs["pids"] / "pids.events").read_text().split()
        return int(events[1]) if len(events) >= 2 else 0

    def counters(self) -> "Counters":
        """The counters that only grow, as of now: a job's share is the difference."""
        return Counters(cpu_time_s=self.cpu_time_s(), oom_kills=self.oom_kills(),
                        forks_refused=self.forks_refused())

    def pids(self) -> list[int]:
        return [int(pid) for pid in (self.dirs["pids"] / "cgroup.procs").read_text().split()]

    def kill_members(self, keep: frozenset[int] = frozenset(), timeout_s: float = 5.0) -> bool:
        """SIGKILL every process of the group but those in `keep`; True when none is left.

        Frozen first, so nothing can fork between reading the list and killing it (a fork
        bomb racing the killer); killed while frozen (SIGKILL is delivered on thaw). The
        processes kept are frozen with the others for those few milliseconds."""
        freezer = self.dirs["freezer"] / "freezer.state"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._members(keep):
                return True
            freezer.write_text("FROZEN")
            try:
                for pid in self._members(keep):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            finally:
                freezer.write_text("THAWED")
            time.sleep(0.005)
        return not self._members(keep)

    def _members(self, keep: frozenset[int]) -> list[int]:
        return [pid for pid in self.pids() if pid not in keep]

    def remove(self) -> None:
        """Delete the groups (they must be empty; kill_members first)."""
        for path in self.dirs.values():
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    # Still busy for a moment after the last process died.
                    time.sleep(0.02)


@dataclass(frozen=True)
class Counters:
    """A group's ever-growing counters at one moment."""

    cpu_time_s: float = 0.0
    oom_kills: int = 0
    forks_refused: int = 0


class CgroupMeter:
    """A job's CPU, memory and processes as its cgroup counts them, from `baseline`: zero
    for a cold job's fresh group, the idle zygote's counters for a warm job in its group."""

    def __init__(self, cgroup: JobCgroup, baseline: Counters = Counters()) -> None:
        self.cgroup, self.baseline = cgroup, baseline

    def sample(self, seen: Seen) -> Outcome | None:
        seen.cpu_time_s = self.cgroup.cpu_time_s() - self.baseline.cpu_time_s
        seen.peak_memory_mb = self.cgroup.peak_memory_mb()
        return self.limit_after()

    def limit_after(self) -> Outcome | None:
        if self.cgroup.forks_refused() > self.baseline.forks_refused:
            return Outcome.PROCESSES
        if self.cgroup.oom_kills() > self.baseline.oom_kills:
            return Outcome.MEMORY
        return None
