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

from grader.sandbox.limits import Limits

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
            group._set_limits(limits)
            return group
        except OSError:
            cls(dirs).remove()
            return None

    def _set_limits(self, limits: Limits) -> None:
        memory = self.dirs["memory"]
        limit_bytes = str(limits.memory_mb * 1024 * 1024)
        # Resident memory of the tree, page cache it cannot give back and tmpfs files it
        # wrote included; over it the kernel OOM-kills inside the group only.
        (memory / "memory.limit_in_bytes").write_text(limit_bytes)
        memsw = memory / "memory.memsw.limit_in_bytes"
        if memsw.exists():
            # Same bound on memory + swap: swapping out must not be a way around the limit.
            memsw.write_text(limit_bytes)
        # Processes and threads alive at once: a fork bomb stops at this count (fork fails
        # with EAGAIN) instead of filling the machine's 32768 pids.
        (self.dirs["pids"] / "pids.max").write_text(str(limits.processes))

    @property
    def procs_files(self) -> list[str]:
        """cgroup.procs of each group: where the launcher writes its pid to join."""
        return [str(path / "cgroup.procs") for path in self.dirs.values()]

    def _read_int(self, controller: str, name: str) -> int:
        return int((self.dirs[controller] / name).read_text().split()[0])

    def cpu_time_s(self) -> float:
        """CPU seconds (user + system) used by every process of the job so far."""
        return self._read_int("cpuacct", "cpuacct.usage") / 1e9

    def peak_memory_mb(self) -> float:
        return self._read_int("memory", "memory.max_usage_in_bytes") / 2**20

    def oom_killed(self) -> bool:
        """True once the kernel killed something of the job for going over memory."""
        for line in (self.dirs["memory"] / "memory.oom_control").read_text().splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill":
                return int(value) > 0
        return self._read_int("memory", "memory.failcnt") > 0

    def pids_limit_hit(self) -> bool:
        """True once a fork or thread start of the job was refused at pids.max."""
        events = (self.dirs["pids"] / "pids.events").read_text().split()
        return len(events) >= 2 and int(events[1]) > 0

    def pids(self) -> list[int]:
        return [int(pid) for pid in (self.dirs["pids"] / "cgroup.procs").read_text().split()]

    def kill_all(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every process of the job; True when the group is empty afterwards.

        Frozen first, so nothing can fork between reading the list and killing it (a fork
        bomb racing the killer); killed while frozen (SIGKILL is delivered on thaw)."""
        freezer = self.dirs["freezer"] / "freezer.state"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pids = self.pids()
            if not pids:
                return True
            freezer.write_text("FROZEN")
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            freezer.write_text("THAWED")
            time.sleep(0.01)
        return not self.pids()

    def remove(self) -> None:
        """Delete the groups (they must be empty; kill_all first)."""
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
