"""run_job: one job's lifecycle — prepare (work dir, cgroups, argv), run (watch limits, read
output), clean up (kill the tree, remove everything) in `finally`.

The runner is the only place that decides an Outcome. It trusts its own measurements (the
clock, the cgroup counters, the work dir's size) over anything the job could fake, such as
its exit code.
"""

from __future__ import annotations

import json
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
from typing import Iterator

from grader.sandbox.cgroups import JobCgroup
from grader.sandbox.errors import SandboxError, SandboxStartError, SandboxUnavailable
from grader.sandbox.job import Outcome, SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture
from grader.sandbox.policy import SandboxPolicy
from grader.sandbox.proctree import sample_tree
from grader.sandbox.workdir import WorkDir
from grader.sandbox import messages

LAUNCHER = Path(__file__).resolve().parent / "launcher.py"
POLL_S = 0.05
"""Seconds between limit checks: a memory or disk overrun is caught within 50 ms of it."""
GRACE_CPU_S = 2
"""RLIMIT_CPU hard minus soft, seconds: the soft limit sends SIGXCPU (a clear cause), the hard
one SIGKILL for a job that catches SIGXCPU."""
DRAIN_S = 2.0
"""Seconds to keep reading stdout/stderr after the tree is dead (pipes close at once then)."""

_policy: SandboxPolicy | None = None


def default_policy() -> SandboxPolicy:
    """The policy of every job, built once per process (it looks at the runtime)."""
    global _policy
    if _policy is None:
        _policy = SandboxPolicy.default()
    return _policy


def find_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed: install the Debian package 'bubblewrap' "
            "(apt-get install bubblewrap); the grader runs no submission without it")
    return path


def jobs_base_dir() -> Path:
    """Host directory holding the jobs' work dirs (AUTOGRADER_SANDBOX_DIR to move it)."""
    return Path(os.environ.get("AUTOGRADER_SANDBOX_DIR")
                or Path(tempfile.gettempdir()) / "autograder-sandbox")


def rlimits_for(limits: Limits, with_cgroup: bool) -> dict[str, list[int]]:
    """Per-process kernel limits, inherited by every process of the job."""
    cpu_s = max(1, math.ceil(limits.cpu_time_s))
    file_bytes = limits.file_size_mb * 2**20
    rlimits = {
        # Per process: SIGXCPU at the soft limit, SIGKILL GRACE_CPU_S later. The whole
        # tree's CPU is summed by the cgroup (or /proc) and checked by the runner.
        "RLIMIT_CPU": [cpu_s, cpu_s + GRACE_CPU_S],
        # Largest file: a bigger write gets SIGXFSZ, which names the cause.
        "RLIMIT_FSIZE": [file_bytes, file_bytes],
        # Open descriptors per process.
        "RLIMIT_NOFILE": [limits.open_files, limits.open_files],
        # No core dumps: a segfault would write hundreds of MB of torch's memory to /work.
        "RLIMIT_CORE": [0, 0],
    }
    if not with_cgroup:
        # Fallback only: counts every process of host uid nobody, so concurrent jobs share
        # it. With a pids cgroup the count is the job's own and this stays unset.
        rlimits["RLIMIT_NPROC"] = [limits.processes, limits.processes]
    return rlimits


@dataclass
class _Watch:
    """What the runner saw while the job ran."""

    stopped_for: Outcome | None = None
    peak_memory_mb: float = 0.0
    cpu_time_s: float = 0.0
    started: bool = False
    exit_status: int | None = None
    notes: list[str] = field(default_factory=list)


class _Run:
    """One started job: the launcher process, its pipes, its cgroup and its work dir."""

    def __init__(self, job: SandboxJob, limits: Limits, policy: SandboxPolicy) -> None:
        self.job, self.limits, self.policy = job, limits, policy
        self.workdir: WorkDir | None = None
        self.cgroup: JobCgroup | None = None
        self.process: subprocess.Popen | None = None
        self.watch = _Watch()

    # -- prepare --------------------------------------------------------------------
    def prepare(self) -> list[str]:
        bwrap = find_bwrap()
        self.workdir = WorkDir.create(jobs_base_dir(), self.limits.workdir_mb,
                                      self.policy.host_uid, self.policy.host_gid)
        self.workdir.write_files(self.job.files, self.policy.host_uid, self.policy.host_gid)
        self.cgroup = JobCgroup.create(f"autograder-{uuid.uuid4().hex[:12]}", self.limits)
        stage_root = self.workdir.root / "stage"
        stage_root.mkdir(mode=0o755)
        sources, stage = {}, []
        for index, bind in enumerate(self.policy.binds):
            target = stage_root / str(index)
            if Path(bind.host).is_dir():
                target.mkdir()
            else:
                target.touch()
            sources[bind.host] = str(target)
            stage.append([bind.host, str(target)])
        spec = {
            "cgroup_procs": self.cgroup.procs_files if self.cgroup else [],
            "stage": stage,
            "rlimits": rlimits_for(self.limits, self.cgroup is not None),
            "uid": self.policy.host_uid,
            "gid": self.policy.host_gid,
        }
        command = self.policy.harness_command(self.job.harness)
        bwrap_argv = self.policy.bwrap_argv(bwrap, sources, str(self.workdir.path), command)
        return [sys.executable, "-I", "-S", str(LAUNCHER), json.dumps(spec), "--", *bwrap_argv]

    # -- run ------------------------------------------------------------------------
    def run(self, argv: list[str]) -> tuple[BoundedCapture, BoundedCapture, float]:
        status_read, status_write = os.pipe()
        # bwrap writes {"child-pid": N} once the sandbox is set up, then {"exit-code": N}:
        # the line between "the sandbox failed" and "the job failed".
        argv = argv[:argv.index("--unshare-user")] + ["--json-status-fd", str(status_write)] \
            + argv[argv.index("--unshare-user"):]
        start = time.monotonic()
        try:
            self.process = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(status_write,), close_fds=True,
                # Out of the grader's process group: a Ctrl-C or a group kill aimed at the
                # grader is handled by the runner (which kills the tree), not half-delivered.
                start_new_session=True)
        except OSError as error:
            os.close(status_read)
            raise SandboxStartError(f"cannot start the sandbox launcher: {error}") from error
        finally:
            os.close(status_write)
        stdout = BoundedCapture(self.process.stdout.fileno(), self.limits.output_bytes)
        stderr = BoundedCapture(self.process.stderr.fileno(), self.limits.output_bytes)
        status = BoundedCapture(status_read, 4096)
        try:
            self._watch(stdout, stderr, status, start)
        finally:
            self.kill_tree()
            self._drain(stdout, stderr, status)
            os.close(status_read)
        wall_time_s = time.monotonic() - start
        self._read_status(status.data)
        return stdout, stderr, wall_time_s

    def _watch(self, stdout: BoundedCapture, stderr: BoundedCapture, status: BoundedCapture,
               start: float) -> None:
        selector = selectors.DefaultSelector()
        for capture in (stdout, stderr, status):
            os.set_blocking(capture.fd, False)
            selector.register(capture.fd, selectors.EVENT_READ, capture)
        try:
            while self.process.poll() is None:
                for key, _ in selector.select(timeout=POLL_S):
                    key.data.read_available()
                    if key.data.closed:
                        selector.unregister(key.fd)
                stop = self._check_limits(time.monotonic() - start)
                if stop is not None:
                    self.watch.stopped_for = stop
                    return
        finally:
            selector.close()

    def _check_limits(self, elapsed_s: float) -> Outcome | None:
        limits = self.limits
        if elapsed_s > limits.wall_time_s:
            return Outcome.WALL_TIME
        if self.cgroup is not None:
            try:
                self.watch.cpu_time_s = self.cgroup.cpu_time_s()
                self.watch.peak_memory_mb = self.cgroup.peak_memory_mb()
                if self.cgroup.pids_limit_hit():
                    return Outcome.PROCESSES
                if self.cgroup.oom_killed():
                    return Outcome.MEMORY
            except OSError:
                pass
        else:
            sample = sample_tree(self.process.pid)
            self.watch.cpu_time_s = max(self.watch.cpu_time_s, sample.cpu_time_s)
            self.watch.peak_memory_mb = max(self.watch.peak_memory_mb, sample.rss_mb)
            if sample.rss_mb > limits.memory_mb:
                return Outcome.MEMORY
            if len(sample.pids) > limits.processes + 2:  # + bwrap and the sandbox's init
                return Outcome.PROCESSES
        if self.watch.cpu_time_s > limits.cpu_time_s:
            return Outcome.CPU_TIME
        if not self.workdir.is_tmpfs and self.workdir.used_mb() > limits.workdir_mb:
            return Outcome.DISK
        return None

    def _drain(self, *captures: BoundedCapture) -> None:
        """Read what is left in the pipes after the tree died; bounded in time, because a
        pipe whose writer escaped the kill would otherwise never reach EOF."""
        deadline = time.monotonic() + DRAIN_S
        selector = selectors.DefaultSelector()
        for capture in captures:
            if not capture.closed:
                os.set_blocking(capture.fd, False)
                selector.register(capture.fd, selectors.EVENT_READ, capture)
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.05):
                key.data.read_available()
                if key.data.closed:
                    selector.unregister(key.fd)
        selector.close()

    def _read_status(self, data: bytes) -> None:
        for line in data.decode("utf-8", "replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if "child-pid" in record:
                self.watch.started = True
            if "exit-code" in record:
                self.watch.exit_status = int(record["exit-code"])

    # -- clean up -------------------------------------------------------------------
    def kill_tree(self) -> None:
        """Kill everything the job started. SIGKILL to bwrap kills the sandbox's init
        (--die-with-parent), and with it the whole PID namespace; the cgroup sweep is the
        backstop for anything that could have left it."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process is not None:
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.watch.notes.append("the sandbox process did not die within 10 s")
        if self.cgroup is not None and not self.cgroup.kill_all():
            self.watch.notes.append("processes of the job survived the cgroup kill")

    def finish(self) -> None:
        """Final measurements, then the tree is gone: make the work dir plain data."""
        if self.cgroup is not None:
            try:
                self.watch.cpu_time_s = self.cgroup.cpu_time_s()
                self.watch.peak_memory_mb = self.cgroup.peak_memory_mb()
                if self.watch.stopped_for is None:
                    if self.cgroup.oom_killed():
                        self.watch.stopped_for = Outcome.MEMORY
                    elif self.cgroup.pids_limit_hit():
                        self.watch.stopped_for = Outcome.PROCESSES
            except OSError:
                pass
        self.workdir.scrub()

    def cleanup(self) -> None:
        try:
            self.kill_tree()
        finally:
            if self.cgroup is not None:
                self.cgroup.remove()
            if self.workdir is not None:
                self.workdir.remove()


@contextmanager
def run_job(job: SandboxJob, limits: Limits, policy: SandboxPolicy | None = None
            ) -> Iterator[SandboxResult]:
    """Fresh work dir, run the harness in bwrap, kill the whole tree, yield, remove the
    work dir. Failures of the sandbox itself yield Outcome.INTERNAL, never an exception:
    an internal fault must not be scored as the student's zero, and the caller decides."""
    run = _Run(job, limits, policy or default_policy())
    try:
        try:
            argv = run.prepare()
            stdout, stderr, wall_time_s = run.run(argv)
            run.finish()
            result = _result(run, stdout, stderr, wall_time_s)
        except (SandboxError, OSError) as error:
            result = SandboxResult(
                outcome=Outcome.INTERNAL, message=messages.internal(str(error)),
                exit_code=None, signal=None, wall_time_s=0.0, cpu_time_s=0.0,
                peak_memory_mb=0.0, stdout=b"", stderr=str(error).encode()[:limits.output_bytes],
                workdir=run.workdir.path if run.workdir else Path("/nonexistent"))
        yield result
    finally:
        run.cleanup()


def _result(run: _Run, stdout: BoundedCapture, stderr: BoundedCapture,
            wall_time_s: float) -> SandboxResult:
    watch, limits = run.watch, run.limits
    exit_code, signal_number = None, None
    status = watch.exit_status
    if status is not None:
        # bwrap reports a signal death as 128 + the signal number, like a shell.
        if status > 128:
            signal_number = status - 128
        else:
            exit_code = status
    outcome = _classify(run, exit_code, signal_number, wall_time_s)
    return SandboxResult(
        outcome=outcome,
        message=messages.describe(outcome, limits, exit_code, signal_number),
        exit_code=exit_code, signal=signal_number, wall_time_s=wall_time_s,
        cpu_time_s=watch.cpu_time_s, peak_memory_mb=watch.peak_memory_mb,
        stdout=stdout.data, stderr=stderr.data if watch.started else stderr.data,
        workdir=run.workdir.path,
        truncated_output=bool(stdout.dropped_bytes or stderr.dropped_bytes))


def _classify(run: _Run, exit_code: int | None, signal_number: int | None,
              wall_time_s: float) -> Outcome:
    watch = run.watch
    if watch.stopped_for is not None:
        return watch.stopped_for
    if not watch.started:
        return Outcome.INTERNAL
    if signal_number == signal.SIGXCPU or watch.cpu_time_s > run.limits.cpu_time_s:
        return Outcome.CPU_TIME
    if signal_number == signal.SIGXFSZ or run.workdir.is_full():
        return Outcome.DISK
    if signal_number is not None:
        return Outcome.SIGNALED
    if exit_code == 0:
        return Outcome.OK
    return Outcome.RUNTIME_ERROR
