"""The fallback isolation: for a host where bubblewrap cannot run (Gradescope's container
refuses the user namespaces bwrap needs), the strongest isolation left to a root process.

Chosen explicitly, never silently: only a process that calls `use_fallback()` routes its jobs
here (the Gradescope bundle's run_autograder, when bwrap fails its probe); the service and
`autograder grade` keep bwrap, and refuse to grade without it.

What a job gets here (fallback_launcher.py does it): a host uid of its own with no groups
(uids.py), the same rlimits as under bwrap plus RLIMIT_NPROC always (a fork bomb stops at
`processes`), its own fresh work dir as cwd, HOME and TMPDIR, its cgroups where writable,
the sandbox's seccomp filter, a network namespace of its own where the kernel permits
(`Isolation.network`), and a root parent it can neither signal nor trace. Every process of
its uid is killed at the end, wherever it went. The comparison stays on the trusted side,
as always: expected values never enter the job.

What it lacks next to bwrap: the job sees the host's file system (whatever is world-readable)
and the host's process list. So the caller names the paths the job must not read (the
grader's source: assignment files, the reference) and a job does not start while its uid
could reach one of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Iterator, Sequence

from grader.sandbox import seccomp
from grader.sandbox.errors import SandboxUnavailable
from grader.sandbox.job import SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.policy import HARNESS_DIR
from grader.sandbox.proctree import ProcMeter
from grader.sandbox.runner import SandboxProcess, default_policy, rlimits_for, run_in
from grader.sandbox.supervision import Meter
from grader.sandbox.workdir import reachable_by

FALLBACK_LAUNCHER = Path(__file__).resolve().parent / "fallback_launcher.py"
HARNESS_COPY = "harness"
"""Where the harness programs are copied in the job's work dir (root-owned, read-only to the
job): the job's uid cannot read grader/harness/ inside the protected source tree."""
KILL_UID_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Isolation:
    """Which isolation a process's jobs run under, for the report a course reads."""

    mode: str
    """"bubblewrap" or "fallback"."""
    network: bool
    """The job has no network (bwrap always; the fallback where unshare is permitted)."""
    seccomp: bool
    """The sandbox's seccomp filter is installed."""

    def describe(self) -> str:
        """One paragraph for results.json and the logs."""
        if self.mode == "bubblewrap":
            return ("bubblewrap sandbox (the service's isolation): own user, PID, network, IPC "
                    "and mount namespaces, an empty root with the runtime read-only, seccomp, "
                    "rlimits")
        network = ("a network namespace of its own (no network)" if self.network else
                   "the network NOT isolated (this host refuses a network namespace)")
        return ("fallback isolation (for hosts where bubblewrap cannot run): the student's "
                "code ran under an unprivileged uid of its own with rlimits (CPU, processes, "
                "file size, open files) and memory and time watched, in a scratch directory, "
                f"{'with' if self.seccomp else 'without'} the seccomp filter, with {network}; "
                "the grader's files unreadable to it, and every result checked outside it")


def probe_fallback() -> Isolation:
    """What the fallback gets on this host (a network namespace or not), tried once."""
    try:
        completed = subprocess.run(
            [sys.executable, "-I", "-S", str(FALLBACK_LAUNCHER), "--probe"],
            capture_output=True, text=True, timeout=30, env={}, check=False)
    except subprocess.TimeoutExpired:
        raise SandboxUnavailable("the fallback launcher's probe did not answer in 30 s") from None
    try:
        network = bool(json.loads(completed.stdout)["network"])
    except (ValueError, KeyError, TypeError):
        raise SandboxUnavailable(f"the fallback launcher failed its probe: "
                                 f"{completed.stderr.strip()[:500]}") from None
    return Isolation(mode="fallback", network=network, seccomp=seccomp.supported())


class FallbackProcess(SandboxProcess):
    """SandboxProcess with fallback_launcher.py in bwrap's place; the supervision core
    watches and judges it exactly as it does a bwrap job."""

    def __init__(self, limits: Limits, isolation: Isolation, protected: Sequence[Path],
                 use_cgroups: bool = True) -> None:
        super().__init__(limits, default_policy(), use_cgroups)
        self.isolation, self.protected = isolation, tuple(protected)

    def prepare(self, files: dict[str, bytes] | None = None) -> None:
        harness = {f"{HARNESS_COPY}/{path.name}": path.read_bytes()
                   for path in sorted(HARNESS_DIR.glob("*.py"))}
        super().prepare({**(files or {}), **harness})
        for path in self.protected:
            if reachable_by(path, self.uid):
                raise SandboxUnavailable(
                    f"{path} is readable by the job's uid: the fallback isolation needs the "
                    "grader's files out of its reach (chmod 700 the directory holding them)")
        # The venv's directory and the interpreter its python links to, both.
        if not (reachable_by(Path(sys.prefix), self.uid)
                and reachable_by(Path(sys.executable), self.uid)):
            raise SandboxUnavailable(f"the interpreter {sys.executable} is not reachable by "
                                     "the job's uid: install the venv where every user can "
                                     "read it (not under /root)")

    def harness_command(self, harness: str) -> list[str]:
        """The harness's argv: the copy in the work dir, run by this interpreter."""
        self.policy.harness_command(harness)  # the same check of the name
        return [sys.executable, "-I", "-B", str(self.workdir.path / HARNESS_COPY / harness)]

    def _launcher_argv(self, command: Sequence[str], status_fd: int,
                       seccomp_fd: int | None) -> list[str]:
        work = str(self.workdir.path)
        env = {**self.policy.env, "PATH": str(Path(sys.executable).parent), "HOME": work,
               "TMPDIR": work, "AUTOGRADER_WORK_DIR": work}
        spec = {
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            # RLIMIT_NPROC always: cgroups are the exception in a container, and the uid is
            # the job's own, so its process count is the job's alone.
            "rlimits": rlimits_for(self.limits, with_cgroup=False),
            "uid": self.uid,
            "gid": self.uid,
            "network": self.isolation.network,
            "status_fd": status_fd,
            "seccomp_fd": seccomp_fd if self.isolation.seccomp else None,
            "cwd": work,
            "env": env,
        }
        return [sys.executable, "-I", "-S", str(FALLBACK_LAUNCHER), json.dumps(spec), "--", *command]

    def meter(self) -> Meter:
        """As under bwrap, except that without cgroups every process of the job's uid is
        counted, in the launcher's tree or not."""
        if self.cgroup is not None:
            return super().meter()
        return ProcMeter(self.process.pid, self.limits, self.uid)

    def kill_tree(self, problems: list[str], survivors: list[str]) -> None:
        """The tree as under bwrap, then every process of the job's uid, killed by root
        (fallback_launcher.py --kill-uid): without a PID namespace, a daemonised child of
        the job may be nobody's descendant."""
        super().kill_tree(problems, survivors)
        if self.uid is None or self.process is None:
            return
        try:
            completed = subprocess.run(
                [sys.executable, "-I", "-S", str(FALLBACK_LAUNCHER), "--kill-uid", str(self.uid)],
                capture_output=True, timeout=KILL_UID_TIMEOUT_S, env={}, check=False)
        except subprocess.TimeoutExpired:
            survivors.append(f"killing the processes of uid {self.uid} took over "
                             f"{KILL_UID_TIMEOUT_S} s")
            return
        if completed.returncode != 0:
            survivors.append(f"processes of uid {self.uid} survived the kill: "
                             f"{completed.stderr.decode('utf-8', 'replace')[:300]}")


@contextmanager
def run_job(job: SandboxJob, limits: Limits, *, isolation: Isolation,
            protected: Sequence[Path] = (), use_cgroups: bool = True) -> Iterator[SandboxResult]:
    """run_job's contract (grader.sandbox.run_job) under the fallback isolation;
    `use_cgroups=False` measures by polling /proc, as in a container without cgroups."""
    with run_in(lambda capped: FallbackProcess(capped, isolation, protected, use_cgroups),
                job, limits) as result:
        yield result


def use_fallback(protected: Sequence[Path]) -> Isolation:
    """Route this process's sandbox jobs through the fallback isolation; returns what it
    gets here. Only for a process that chose it (the Gradescope bundle), never the service."""
    from grader.sandbox import set_default_runner

    isolation = probe_fallback()
    set_default_runner(partial(run_job, isolation=isolation, protected=tuple(protected)))
    return isolation
