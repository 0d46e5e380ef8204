"""run_job: one job's lifecycle — prepare (work dir, cgroups, argv), run (watch the limits,
read the output), clean up (kill the tree, remove everything) in `finally`.

`SandboxProcess` is the reusable part: it starts any command under a policy and limits and
supervises it; run_job is one use of it (a harness, then exit). A warm fork server would be
another: started once with its own command, supervised for its lifetime.

The runner alone decides the Outcome, and it trusts its own measurements (the clock, the
cgroup counters, the work dir's size) over anything the job could fake, such as its exit code.
"""

from __future__ import annotations

import json
import logging
import math
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

from grader.sandbox import messages
from grader.sandbox.cgroups import JobCgroup
from grader.sandbox.ending import ended_by_itself, split_exit_status
from grader.sandbox.errors import SandboxError, SandboxStartError, SandboxUnavailable
from grader.sandbox.job import Outcome, SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture, drain
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.proctree import sample_tree
from grader.sandbox.uids import JobUid
from grader.sandbox import seccomp, stale
from grader.sandbox.workdir import WorkDir, reachable_by

log = logging.getLogger(__name__)

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
POLL_S = 0.05
"""Seconds between limit checks: a memory or process overrun is caught within 50 ms."""
GRACE_CPU_S = 2
"""RLIMIT_CPU hard minus soft, seconds: the soft limit sends SIGXCPU (a clear cause), the hard
one SIGKILL for a job that catches SIGXCPU."""
DRAIN_S = 2.0
"""Seconds to keep reading stdout/stderr after the tree is dead (pipes close at once then)."""
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


@dataclass
class Supervision:
    """What the runner saw while the process ran."""

    stopped_for: Outcome | None = None
    """The limit the runner stopped it for, if any."""
    peak_memory_mb: float = 0.0
    cpu_time_s: float = 0.0
    started: bool = False
    """bwrap reported its child (else any failure is the sandbox's, not the job's)."""
    exit_status: int | None = None
    """bwrap's report of the job's status: the exit code, or 128 + a signal number."""
    wall_time_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    """Faults of the sandbox itself noticed on the way (for logs)."""


class SandboxProcess:
    """One command running under a policy and limits, with its work dir and cgroup.

    Use: prepare(files) -> start(command) -> supervise() -> finish(), and close() in a
    finally. Not thread-safe; one instance per process started."""

    def __init__(self, limits: Limits, policy: SandboxPolicy, use_cgroups: bool = True) -> None:
        self.limits, self.policy, self.use_cgroups = limits, policy, use_cgroups
        self.job_uid: JobUid | None = None
        self.uid = policy.host_uid
        self.workdir: WorkDir | None = None
        self.cgroup: JobCgroup | None = None
        self.process: subprocess.Popen | None = None
        self.stdout: BoundedCapture | None = None
        self.stderr: BoundedCapture | None = None
        self.seen = Supervision()
        self._lock_fd: int | None = None
        self._status: BoundedCapture | None = None
        self._start_time = 0.0

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
            self._start_time = time.monotonic()
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

    def supervise(self) -> None:
        """Read output and check limits until the process exits or hits one; then kill
        the whole tree, drain the pipes and record how it ended."""
        captures = (self.stdout, self.stderr, self._status)
        try:
            self._watch(captures)
        finally:
            self.kill_tree()
            drain(captures, DRAIN_S)
            self.seen.wall_time_s = time.monotonic() - self._start_time
            os.close(self._status.fd)
        self._read_status(self._status.data)

    def _watch(self, captures: Sequence[BoundedCapture]) -> None:
        selector = selectors.DefaultSelector()
        for capture in captures:
            os.set_blocking(capture.fd, False)
            selector.register(capture.fd, selectors.EVENT_READ, capture)
        try:
            while self.process.poll() is None:
                for key, _ in selector.select(timeout=POLL_S):
                    key.data.read_available()
                    if key.data.closed:
                        selector.unregister(key.fd)
                stop = self._check_limits(time.monotonic() - self._start_time)
                if stop is not None:
                    self.seen.stopped_for = stop
                    return
        finally:
            selector.close()

    def _check_limits(self, elapsed_s: float) -> Outcome | None:
        limits, seen = self.limits, self.seen
        if elapsed_s > limits.wall_time_s:
            return Outcome.WALL_TIME
        if self.cgroup is not None:
            try:
                seen.cpu_time_s = self.cgroup.cpu_time_s()
                seen.peak_memory_mb = self.cgroup.peak_memory_mb()
                if self.cgroup.pids_limit_hit():
                    return Outcome.PROCESSES
                if self.cgroup.oom_killed():
                    return Outcome.MEMORY
            except OSError as error:
                seen.problems.append(f"cgroup read failed: {error}")
        else:
            sample = sample_tree(self.process.pid)
            seen.cpu_time_s = max(seen.cpu_time_s, sample.cpu_time_s)
            seen.peak_memory_mb = max(seen.peak_memory_mb, sample.rss_mb)
            if sample.rss_mb > limits.memory_mb:
                return Outcome.MEMORY
            # RLIMIT_NPROC refuses the fork itself; its count includes bwrap and the
            # sandbox's init (host uid nobody too), so the job tops out 2 below it.
            if sample.threads >= limits.processes - 2:
                return Outcome.PROCESSES
        if seen.cpu_time_s > limits.cpu_time_s:
            return Outcome.CPU_TIME
        if not self.workdir.is_tmpfs and self.workdir.used_mb() > limits.workdir_mb:
            return Outcome.DISK
        return None

    def _read_status(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "child-pid" in record:
                self.seen.started = True
            if "exit-code" in record:
                self.seen.exit_status = int(record["exit-code"])

    # -- clean up -------------------------------------------------------------------
    def kill_tree(self) -> None:
        """Kill everything the job started. SIGKILL to bwrap kills the sandbox's init
        (--die-with-parent), and with it the whole PID namespace; the cgroup sweep is the
        backstop for anything that could have left it. Without cgroups, every process
        seen in the tree is killed by pid as well."""
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
            self.seen.problems.append(f"bwrap did not die within {KILL_WAIT_S} s of SIGKILL")
        if self.cgroup is not None and not self.cgroup.kill_all():
            self.seen.problems.append("processes of the job survived the cgroup kill")

    def finish(self) -> None:
        """After supervise(): last measurements, then make the work dir plain data."""
        if self.cgroup is not None:
            try:
                self.seen.cpu_time_s = self.cgroup.cpu_time_s()
                self.seen.peak_memory_mb = self.cgroup.peak_memory_mb()
                if self.seen.stopped_for is None:
                    if self.cgroup.oom_killed():
                        self.seen.stopped_for = Outcome.MEMORY
                    elif self.cgroup.pids_limit_hit():
                        self.seen.stopped_for = Outcome.PROCESSES
            except OSError as error:
                self.seen.problems.append(f"cgroup read failed: {error}")
        self.workdir.scrub()

    def close(self) -> None:
        """Kill whatever is left, then remove the cgroups and the work dir."""
        try:
            self.kill_tree()
        finally:
            for problem in self.seen.problems:
                log.warning("sandbox: %s", problem)
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

    # -- the verdict ----------------------------------------------------------------
    def result(self) -> SandboxResult:
        """The SandboxResult of a supervised, finished process."""
        seen = self.seen
        exit_code, signal_number = split_exit_status(seen.exit_status)
        outcome = self._classify(exit_code, signal_number)
        if outcome is Outcome.INTERNAL:
            # bwrap's own words stay in stderr (for logs): they name host paths, which are
            # none of the student's business.
            message = messages.internal("the sandbox did not start")
        else:
            message = messages.describe(outcome, self.limits, exit_code, signal_number)
        return SandboxResult(
            outcome=outcome, message=message, exit_code=exit_code, signal=signal_number,
            wall_time_s=seen.wall_time_s, cpu_time_s=seen.cpu_time_s,
            peak_memory_mb=seen.peak_memory_mb, stdout=self.stdout.data,
            stderr=self.stderr.data, workdir=self.workdir.path,
            truncated_output=bool(self.stdout.dropped_bytes or self.stderr.dropped_bytes))

    def _classify(self, exit_code: int | None, signal_number: int | None) -> Outcome:
        seen = self.seen
        if not seen.started:
            # bwrap never reported a child: whatever happened is the sandbox's fault.
            return Outcome.INTERNAL
        if seen.stopped_for is not None:
            return seen.stopped_for
        if seen.exit_status is None:
            # bwrap writes the exit code whenever the job's process ends, even by a signal;
            # none means bwrap failed setting up (a missing mount, no user namespaces) or
            # its init was killed from outside, not by the job's code.
            return Outcome.INTERNAL
        return ended_by_itself(self.limits, self.workdir, seen.cpu_time_s, exit_code, signal_number)


@contextmanager
def run_job(job: SandboxJob, limits: Limits, policy: SandboxPolicy | None = None, *,
            use_cgroups: bool = True) -> Iterator[SandboxResult]:
    """Fresh work dir, run the harness in bwrap, kill the whole tree, yield, remove the
    work dir. A failure of the sandbox itself yields Outcome.INTERNAL rather than raising:
    it must never be scored as the student's zero, and the caller decides what to do.

    `use_cgroups=False` measures by polling /proc, as on a machine without cgroups."""
    sandbox: SandboxProcess | None = None
    try:
        try:
            limits = limits.capped_by_environment()
            policy = policy or default_policy()
            sandbox = SandboxProcess(limits, policy, use_cgroups)
            sandbox.prepare(dict(job.files))
            sandbox.start(policy.harness_command(job.harness))
            sandbox.supervise()
            sandbox.finish()
            result = sandbox.result()
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
