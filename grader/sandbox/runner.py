"""run_job: one cold job's lifecycle — prepare (work dir, cgroups, argv), start bwrap, let
the supervision core watch and judge it (supervision.py), clean up (kill the tree, remove
everything) in `finally`.

`SandboxProcess` is the reusable part: it starts any command under a policy and limits, in
its own work dir and cgroups. run_job is one use of it (a harness, supervised to its end);
a warm zygote is another (started once, then each of its jobs forked from it).
"""

from __future__ import annotations

import json
import logging
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

from grader.sandbox import messages
from grader.sandbox.cgroups import CgroupMeter, JobCgroup
from grader.sandbox.errors import SandboxError, SandboxStartError, SandboxUnavailable
from grader.sandbox.job import Outcome, SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.proctree import ProcMeter, sample_tree
from grader.sandbox.supervision import Meter, Reader, Seen, Supervisor
from grader.sandbox.uids import JobUid
from grader.sandbox import seccomp, stale
from grader.sandbox.workdir import WorkDir, reachable_by

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
GRACE_CPU_S = 2
"""RLIMIT_CPU hard minus soft, seconds: the soft limit sends SIGXCPU (a clear cause), the hard
one SIGKILL for a job that catches SIGXCPU."""
KILL_WAIT_S = 10.0
"""Seconds to wait for bwrap to die after SIGKILL (it takes milliseconds)."""

_policy: SandboxPolicy | None = None
_swept_stale = False


def default_policy() -> SandboxPolicy:
    """The policy of every job, built once per process (it looks at the runtime)."""
    global _policy
    if _policy is None:
        _policy = SandboxPolicy.default()
    return _policy


def find_bwrap() -> str:
    """bwrap's path, or SandboxUnavailable saying which package to install."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: install the Debian package 'bubblewrap' "
            "(apt-get install bubblewrap); the grader runs no submission without it")
    return path


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning("sandbox: %s", message)


def _sweep_stale_once() -> None:
    """Once per process: remove what a grader that died mid-job left behind (stale.py)."""
    global _swept_stale
    if not _swept_stale:
        _swept_stale = True
        stale.remove_stale_jobs(jobs_base_dir())
        stale.remove_stale_cgroups()


def jobs_base_dir() -> Path:
    """Host directory holding the jobs' work dirs (AUTOGRADER_SANDBOX_DIR to move it)."""
    return Path(os.environ.get("AUTOGRADER_SANDBOX_DIR")
                or Path(tempfile.gettempdir()) / "autograder-sandbox")


def rlimits_for(limits: Limits, with_cgroup: bool) -> dict[str, list[int]]:
    """Per-process kernel limits, set by the launcher and inherited by every process."""
    cpu_s = max(1, math.ceil(limits.cpu_time_s))
    file_bytes = limits.file_size_mb * 2**20
    rlimits = {
        # Per process: SIGXCPU at the soft limit, SIGKILL GRACE_CPU_S later. The whole
        # tree's CPU is summed by the cgroup (or /proc) and checked by the runner.
        "RLIMIT_CPU": [cpu_s, cpu_s + GRACE_CPU_S],
        # Largest file: a bigger write fails (SIGXFSZ, which Python ignores, then EFBIG
        # "File too large"); the runner sees the file cut at the limit and says DISK.
        "RLIMIT_FSIZE": [file_bytes, file_bytes],
        # Open descriptors per process.
        "RLIMIT_NOFILE": [limits.open_files, limits.open_files],
        # No core dumps: a segfault would write hundreds of MB of torch's memory to /work.
        "RLIMIT_CORE": [0, 0],
    }
    if not with_cgroup:
        # Fallback for the pids cgroup: counts the processes and threads of the job's host
        # uid, its own (uids.py), bwrap and the sandbox's init included.
        rlimits["RLIMIT_NPROC"] = [limits.processes, limits.processes]
    return rlimits


class SandboxProcess:
    """One command running in bwrap under a policy and limits, with its work dir and cgroup.

    Use: prepare(files) -> start(command), then Supervisor(self, ...).run() for a job, and
    close() in a finally. It is the cold Started of the supervision core. Not thread-safe;
    one instance per process started."""

    def __init__(self, limits: Limits, policy: SandboxPolicy, use_cgroups: bool = True) -> None:
        self.limits, self.policy, self.use_cgroups = limits, policy, use_cgroups
        self.job_uid: JobUid | None = None
        self.uid = policy.host_uid
        self.workdir: WorkDir | None = None
        self.cgroup: JobCgroup | None = None
        self.process: subprocess.Popen | None = None
        self.stdout: BoundedCapture | None = None
        self.stderr: BoundedCapture | None = None
        self.started_at = 0.0
        self._lock_fd: int | None = None
        self._status: BoundedCapture | None = None

    # -- prepare --------------------------------------------------------------------
    def prepare(self, files: dict[str, bytes] | None = None) -> None:
        """A host uid of its own, a fresh work dir with the job's files, and the cgroups
        with their limits."""
        _sweep_stale_once()
        if self.uid is None:
            self.job_uid = JobUid.acquire()
            self.uid = self.job_uid.uid
        self.workdir = WorkDir.create(jobs_base_dir(), self.limits.workdir_mb, self.uid, self.uid)
        self._lock_fd = stale.hold_job_lock(self.workdir.root)
        self.workdir.write_files(files or {}, self.uid, self.uid)
        if self.use_cgroups:
            self.cgroup = JobCgroup.create(f"autograder-{uuid.uuid4().hex[:12]}", self.limits)
            if self.cgroup is None:
                _warn_once("cgroup v1 (memory, pids, cpuacct, freezer) is not writable here: "
                           "memory, CPU and processes are measured by polling /proc instead")

    def harness_command(self, harness: str) -> list[str]:
        """argv of a harness program of grader/harness/, as the policy runs it."""
        return self.policy.harness_command(harness)

    def _launcher_argv(self, command: Sequence[str], status_fd: int,
                       seccomp_fd: int | None) -> list[str]:
        bwrap = find_bwrap()
        stage_root = self.workdir.root / "stage"
        stage_root.mkdir(mode=0o755)
        sources, stage = {}, []
        for index, bind in enumerate(self.policy.binds):
            if reachable_by(Path(bind.host), self.uid):
                sources[bind.host] = bind.host
                continue
            # Behind a directory the job's uid cannot enter (pyenv under /root, mode 0700):
            # the launcher binds it onto a reachable staging path first (launcher.py).
            target = stage_root / str(index)
            target.mkdir() if Path(bind.host).is_dir() else target.touch()
            sources[bind.host] = str(target)
            stage.append([bind.host, str(target)])
        spec = {
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "stage": stage,
            "rlimits": rlimits_for(self.limits, self.cgroup is not None),
            "uid": self.uid,
            "gid": self.uid,
        }
        argv = self.policy.bwrap_argv(bwrap, sources, str(self.workdir.path), command,
                                      status_fd=status_fd, seccomp_fd=seccomp_fd)
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--", *argv]

    # -- run ------------------------------------------------------------------------
    def start(self, command: Sequence[str]) -> None:
        """Start `command` inside the sandbox; returns at once."""
        status_read, status_write = os.pipe()
        seccomp_fd = seccomp.filter_fd() if self.policy.seccomp and seccomp.supported() else None
        child_fds = (status_write,) if seccomp_fd is None else (status_write, seccomp_fd)
        try:
            argv = self._launcher_argv(command, status_write, seccomp_fd)
            self.started_at = time.monotonic()
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=child_fds, close_fds=True,
                # Nothing of the grader's environment reaches the launcher or bwrap (whose
                # /proc/1/environ the job can read); the job's own comes from the policy.
                env={},
                # Out of the grader's process group: a signal aimed at the grader's group
                # does not half-kill the sandbox; the runner kills the whole tree itself.
                start_new_session=True)
        except OSError as error:
            os.close(status_read)
            raise SandboxStartError(f"cannot start the sandbox launcher: {error}") from error
        finally:
            for fd in child_fds:
                os.close(fd)
        self.stdout = BoundedCapture(self.process.stdout.fileno(), self.limits.output_bytes)
        self.stderr = BoundedCapture(self.process.stderr.fileno(), self.limits.output_bytes)
        # bwrap writes {"child-pid": N} once the sandbox is set up, then {"exit-code": N}:
        # the line between "the sandbox failed" and "the job failed".
        self._status = BoundedCapture(status_read, 4096)

    def meter(self) -> Meter:
        """Where this process's tree is counted: its fresh cgroup, else /proc."""
        if self.cgroup is not None:
            return CgroupMeter(self.cgroup)
        return ProcMeter(self.process.pid, self.limits)

    # -- what the supervision core asks of a started job -----------------------------
    @property
    def readers(self) -> Sequence[Reader]:
        return (self.stdout, self.stderr, self._status)

    def ended(self) -> bool:
        return self.process.poll() is not None

    def each_poll(self) -> None:
        """Nothing: bwrap needs no keeping alive."""

    def kill(self, seen: Seen) -> None:
        self.kill_tree(seen.problems, seen.survivors)

    def report(self, seen: Seen) -> None:
        """bwrap's status lines: {"child-pid": N} once the sandbox was set up, then
        {"exit-code": N} when the job's process ended by itself."""
        data = self._status.data
        self._close_status()
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "child-pid" in record:
                seen.started = True
            if "exit-code" in record:
                seen.exit_status = int(record["exit-code"])

    def _close_status(self) -> None:
        if self._status is not None and self._status.fd >= 0:
            os.close(self._status.fd)
            self._status.fd = -1

    # -- clean up -------------------------------------------------------------------
    def kill_tree(self, problems: list[str], survivors: list[str]) -> None:
        """Kill everything the job started. SIGKILL to bwrap kills the sandbox's init
        (--die-with-parent), and with it the whole PID namespace; the cgroup sweep is the
        backstop for anything that could have left it. Without cgroups, every process
        seen in the tree is killed by pid as well. What could not be killed goes to
        `survivors`, other faults to `problems`."""
        if self.process is None:
            return
        if self.process.poll() is None:
            tree = [] if self.cgroup is not None else sample_tree(self.process.pid).pids
            for pid in [self.process.pid, *tree]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:
            self.process.wait(timeout=KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            survivors.append(f"bwrap did not die within {KILL_WAIT_S} s of SIGKILL")
        if self.cgroup is not None and not self.cgroup.kill_members():
            survivors.append("processes of the job survived the cgroup kill")

    def close(self) -> None:
        """Kill whatever is left, then remove the cgroups and the work dir."""
        problems: list[str] = []
        try:
            self.kill_tree(problems, problems)
        finally:
            for problem in problems:
                log.warning("sandbox: %s", problem)
            self._close_status()
            if self.process is not None:
                for pipe in (self.process.stdout, self.process.stderr):
                    if pipe is not None:
                        pipe.close()
            if self.cgroup is not None:
                self.cgroup.remove()
            if self.workdir is not None:
                self.workdir.remove()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
            if self.job_uid is not None:
                # Last: the uid is free for another job only once nothing of this one is left.
                self.job_uid.release()


@contextmanager
def run_job(job: SandboxJob, limits: Limits, policy: SandboxPolicy | None = None, *,
            use_cgroups: bool = True) -> Iterator[SandboxResult]:
    """Fresh work dir, run the harness in bwrap, kill the whole tree, yield, remove the
    work dir. A failure of the sandbox itself yields Outcome.INTERNAL rather than raising:
    it must never be scored as the student's zero, and the caller decides what to do.

    `use_cgroups=False` measures by polling /proc, as on a machine without cgroups."""
    # The policy is built inside run_in's try: a runtime it cannot find is an INTERNAL result.
    with run_in(lambda capped: SandboxProcess(capped, policy or default_policy(), use_cgroups),
                job, limits) as result:
        yield result


@contextmanager
def run_in(make: Callable[[Limits], SandboxProcess], job: SandboxJob,
           limits: Limits) -> Iterator[SandboxResult]:
    """run_job's lifecycle in the SandboxProcess `make` builds for the capped limits (a
    subclass starts it otherwise: grader/sandbox/fallback.py)."""
    sandbox: SandboxProcess | None = None
    try:
        try:
            limits = limits.capped_by_environment()
            sandbox = make(limits)
            sandbox.prepare(dict(job.files))
            sandbox.start(sandbox.harness_command(job.harness))
            supervisor = Supervisor(sandbox, limits, sandbox.meter(), sandbox.workdir)
            result = supervisor.run()
            for problem in supervisor.seen.problems + supervisor.seen.survivors:
                log.warning("sandbox: %s", problem)
        except (SandboxError, OSError, ValueError) as error:
            workdir = sandbox.workdir.path if sandbox and sandbox.workdir else Path("/nonexistent")
            result = SandboxResult(
                outcome=Outcome.INTERNAL, message=messages.internal(str(error)),
                exit_code=None, signal=None, wall_time_s=0.0, cpu_time_s=0.0,
                peak_memory_mb=0.0, stdout=b"", stderr=str(error).encode()[:limits.output_bytes],
                workdir=workdir)
        yield result
    finally:
        if sandbox is not None:
            sandbox.close()
