"""The trusted side's handle on one zygote (grader/harness/zygote.py): start it under the
sandbox policy, run one job at a time in a child it forks, measure and bound that job,
kill everything the job started, and put the zygote back to the state it started in.

The zygote is started by SandboxProcess exactly like a cold job: same bwrap namespaces,
read-only runtime, no network, host uid nobody, its own cgroups and its own tmpfs /work.
Each job is supervised and judged by the same core as a cold job
(grader.sandbox.supervision); a ForkedJob (forked_job.py) says how it was started.
Nothing the zygote says is believed where a measurement exists: the outcome comes from the
clock, the cgroup counters and the work dir, as in a cold run; the zygote only relays the
job's exit status (it is the job's parent) and its own clean-up report, and whenever it is
late, silent or dead the pool throws it away and reruns the job cold.
"""

from __future__ import annotations

import ctypes
import dataclasses
import os
import shutil
import signal
import time
from pathlib import Path

from grader.sandbox.job import SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture
from grader.sandbox.policy import WORK_INSIDE, SandboxPolicy
from grader.sandbox.runner import SandboxProcess, rlimits_for
from grader.sandbox.supervision import POLL_S, Supervisor
from grader.sandbox.workdir import INODES_PER_MB, MS_NODEV, MS_NOEXEC, MS_NOSUID
from grader.warm.accounting import JobAccounting
from grader.warm.channel import SOCKET_NAME, Channel, Listener
from grader.warm.errors import NotWarmable, ReplyTimeout, WarmError, ZygoteLost
from grader.warm.forked_job import ForkedJob
from grader.warm.settings import WarmSettings

ZYGOTE_PROGRAM = "zygote.py"
MS_REMOUNT = 32
_libc = ctypes.CDLL(None, use_errno=True)

ZYGOTE_CPU_S = 24 * 3600.0
"""The zygote's own RLIMIT_CPU (its forks and waits: ~5 ms a job). Jobs lower theirs."""
SETTLE_S = 0.5
"""Seconds a job's last processes get to vanish from the cgroup after SIGKILL."""


def zygote_limits(settings: WarmSettings) -> Limits:
    """The limits the zygote itself starts with. A job's limits must fit under the ones a
    child cannot raise (rlimits are inherited and only lowered): file size, open files, work
    dir size; the others are set per job on the cgroup or by the trusted side's clock."""
    base = Limits()
    return dataclasses.replace(base, cpu_time_s=ZYGOTE_CPU_S, wall_time_s=ZYGOTE_CPU_S,
                               memory_mb=settings.memory_mb)


INHERITED = ("file_size_mb", "open_files", "workdir_mb")
"""Limits a job cannot exceed in a zygote: set once for the zygote (rlimits, tmpfs size)."""


class Zygote:
    """One fork server in its sandbox. Not thread-safe: the pool hands it to one caller."""

    def __init__(self, settings: WarmSettings, policy: SandboxPolicy, name: str) -> None:
        self.settings, self.policy, self.name = settings, policy, name
        self.limits = zygote_limits(settings)
        self.sandbox = SandboxProcess(self.limits, policy, use_cgroups=True)
        self.channel: Channel | None = None
        self.accounting: JobAccounting | None = None
        self.host_pid = 0
        """Host pid of the zygote process (not bwrap's)."""
        self.spare_host_pid = 0
        """Host pid of the child the zygote forked ahead for the next job (0: none yet)."""
        self.jobs = 0
        self.doubtful = ""
        """Why this zygote must not serve another job; empty while it is trusted."""
        self.hello: dict = {}
        self._dev_listing: dict[str, list[str]] = {}
        self._tmpfs_mb = self.limits.workdir_mb

    # -- start ------------------------------------------------------------------------
    def start(self) -> None:
        """Start the zygote and wait for its hello (imports take ~3-10 s). Raises WarmError."""
        sandbox = self.sandbox
        sandbox.prepare({})
        if sandbox.cgroup is None:
            raise WarmError("warm sandboxes need writable cgroup v1 (memory, pids, cpuacct, "
                            "freezer) to count and kill a job apart from its zygote")
        if not sandbox.workdir.is_tmpfs:
            raise WarmError("warm sandboxes need a tmpfs work dir (mount refused here)")
        self._wipe_work()
        listener = Listener(sandbox.workdir.path, sandbox.uid, sandbox.uid)
        try:
            sandbox.start(self.policy.harness_command(ZYGOTE_PROGRAM)
                          + [f"{WORK_INSIDE}/{SOCKET_NAME}"])
            self.channel = listener.accept(self.settings.start_timeout_s,
                                           alive=lambda: sandbox.process.poll() is None)
        except ZygoteLost as error:
            raise ZygoteLost(f"{error}: {self._startup_stderr()}") from error
        finally:
            listener.close()
        message = self.channel.receive(self.settings.start_timeout_s)
        self.hello = message.get("hello") or {}
        if self.hello.get("threads") != 1:
            # fork() copies only the calling thread: a second thread's locks would be held
            # forever in every child.
            raise ZygoteLost(f"the zygote has {self.hello.get('threads')} threads after its imports")
        self._find_own_pids()
        if not self._wipe_work():  # whatever the imports wrote (tempfile probes /work)
            raise ZygoteLost("the zygote's /work could not be emptied after start")
        self._dev_listing = self._list_dev()

    def _startup_stderr(self) -> str:
        """The zygote's own stderr so far (its import errors, its last traceback)."""
        capture = self.sandbox.stderr
        if capture is None:
            return ""
        os.set_blocking(capture.fd, False)
        capture.read_available()
        return capture.data.decode("utf-8", "replace").strip()[-500:]

    def _find_own_pids(self) -> None:
        """bwrap, its init and the zygote: the processes of the group that are not a job's."""
        cgroup = self.sandbox.cgroup
        pids = frozenset(cgroup.pids())
        for pid in pids:
            if _namespace_pid(pid) == self.hello.get("pid") and pid != self.sandbox.process.pid:
                self.host_pid = pid
        if not self.host_pid or len(pids) != 3:
            raise ZygoteLost(f"unexpected processes in the zygote's group: {sorted(pids)}")
        idle_tasks = int((cgroup.dirs["pids"] / "pids.current").read_text())
        self.accounting = JobAccounting(cgroup, pids, idle_tasks, self.settings.memory_mb)

    def _list_dev(self) -> dict[str, list[str]]:
        """The zygote's /dev and /dev/shm as root sees them through /proc/<pid>/root (a
        listing only: nothing is opened or followed in a tree the job could write)."""
        root = Path(f"/proc/{self.host_pid}/root")
        return {name: sorted(os.listdir(root / name)) for name in ("dev", "dev/shm")}

    # -- one job ----------------------------------------------------------------------
    def run(self, job: SandboxJob, limits: Limits) -> SandboxResult:
        """Run `job` in a fresh child; the result is final. ZygoteLost: the job's result is
        unknown (rerun it cold); NotWarmable: run it cold, the zygote is untouched."""
        for name in INHERITED:
            if getattr(limits, name) > getattr(self.limits, name):
                raise NotWarmable(f"{name} above the zygote's")
        self._size_work(limits.workdir_mb)
        workdir = self.sandbox.workdir
        workdir.write_files(dict(job.files), self.sandbox.uid, self.sandbox.uid)
        meter = self.accounting.begin(limits)
        self.jobs += 1
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdout = BoundedCapture(out_r, limits.output_bytes)
        stderr = BoundedCapture(err_r, limits.output_bytes)
        rlimits = rlimits_for(limits, with_cgroup=True)
        # POSIX message queues outlive processes and cannot be listed without a mount: none
        # may be created (mq_open fails with EMFILE at 0 bytes).
        rlimits["RLIMIT_MSGQUEUE"] = [0, 0]
        try:
            started_at = time.monotonic()
            try:
                self.channel.send({"op": "run", "harness": job.harness, "rlimits": rlimits},
                                  fds=(out_w, err_w))
            finally:
                os.close(out_w)
                os.close(err_w)
            reply = self.await_reply()
            if "started" not in reply:
                raise ZygoteLost(f"the job did not start: {reply.get('setup_failed', reply)}")
            supervisor = Supervisor(ForkedJob(self, started_at, stdout, stderr), limits, meter,
                                    workdir)
            result = supervisor.run()
            if supervisor.seen.problems:
                # A warm result is trusted only when every counter was read.
                raise ZygoteLost("; ".join(supervisor.seen.problems))
            return result
        except ZygoteLost as error:
            self.doubtful = str(error)
            self.accounting.kill_job()
            if not self.alive():
                raise ZygoteLost(f"{error}: {self._startup_stderr()}") from error
            raise
        except Exception as error:  # noqa: BLE001 - e.g. a cgroup write failing mid-job
            # Whatever went wrong, the job's processes must not run on while the pool
            # reruns it cold.
            self.doubtful = f"{type(error).__name__}: {error}"
            self.accounting.kill_job()
            raise
        finally:
            os.close(out_r)
            os.close(err_r)

    def await_reply(self) -> dict:
        """The zygote's next message within reply_timeout_s, sending SIGCONT every 50 ms
        meanwhile: the job runs from the moment it is forked, so it can SIGSTOP the zygote
        even before the zygote has said "started" (seen in the tests)."""
        deadline = time.monotonic() + self.settings.reply_timeout_s
        while True:
            try:
                return self.channel.receive(max(0.0, min(POLL_S, deadline - time.monotonic())))
            except ReplyTimeout:
                if time.monotonic() >= deadline:
                    raise
                self.continue_zygote()

    @staticmethod
    def exit_reply(message: dict) -> dict:
        if not isinstance(message.get("exited"), dict):
            raise ZygoteLost(f"unexpected message from the zygote: {str(message)[:200]}")
        return message["exited"]

    def continue_zygote(self) -> None:
        """A job may have sent the zygote SIGSTOP (the one signal it cannot block)."""
        try:
            os.kill(self.host_pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    # -- between jobs -----------------------------------------------------------------
    def reset(self) -> bool:
        """Back to the state the zygote started in; False when that cannot be shown (then
        it must be closed, not reused)."""
        if self.doubtful:
            return False
        try:
            self.accounting.restore()
            if not self._wipe_work():
                self.doubtful = "/work could not be emptied"
                return False
            self.channel.send({"op": "clean"})
            report = self.channel.receive(self.settings.reply_timeout_s).get("clean") or {}
            if report.get("ok") is not True:
                self.doubtful = f"the zygote could not clean up: {report.get('problems')}"
            elif not self._only_the_spare_left(report.get("spare")):
                self.doubtful = "processes of the last job are still in the group"
            elif self._list_dev() != self._dev_listing:
                self.doubtful = "/dev differs from its state at start"
        except (WarmError, OSError) as error:
            self.doubtful = f"reset failed: {error}"
        if not self.doubtful and self.jobs >= self.settings.max_jobs:
            self.doubtful = f"served {self.jobs} jobs (max_jobs)"
        return not self.doubtful

    def _only_the_spare_left(self, spare_pid) -> bool:
        """True when the group holds nothing but the zygote's own processes and the one
        spare child it just forked (a child of the zygote with the pid it reported)."""
        self.spare_host_pid = 0
        left = self.accounting.job_pids()
        if not left:
            return True
        if len(left) != 1 or not isinstance(spare_pid, int):
            return False
        if _namespace_pid(left[0]) == spare_pid and _parent_pid(left[0]) == self.host_pid:
            self.spare_host_pid = left[0]
            return True
        return False

    def leftover_pids(self) -> list[int]:
        """Host pids in the group that are neither the zygote's own nor its idle spare."""
        return [pid for pid in self.accounting.job_pids() if pid != self.spare_host_pid]

    def _wipe_work(self) -> bool:
        """Empty /work as root on the host side, after every process of the job is dead.
        rmtree does not follow symlinks (it works on directory fds), so a planted link
        cannot point it elsewhere."""
        path = self.sandbox.workdir.path
        # The job owned /work and may have changed its mode; back to what WorkDir made.
        os.chown(path, self.sandbox.uid, self.sandbox.uid)
        os.chmod(path, 0o700)
        for entry in os.scandir(path):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                try:
                    os.unlink(entry.path)
                except FileNotFoundError:
                    pass
        return not os.listdir(path)

    def _size_work(self, size_mb: int) -> None:
        """The tmpfs at /work resized to this job's workdir_mb (it is empty now)."""
        if size_mb == self._tmpfs_mb:
            return
        options = f"size={size_mb}m,nr_inodes={size_mb * INODES_PER_MB}".encode()
        flags = MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC
        if _libc.mount(None, str(self.sandbox.workdir.path).encode(), None, flags, options) != 0:
            raise NotWarmable(f"cannot resize /work: {os.strerror(ctypes.get_errno())}")
        self._tmpfs_mb = size_mb
        self.sandbox.workdir.size_mb = size_mb

    def alive(self) -> bool:
        return self.sandbox.process is not None and self.sandbox.process.poll() is None

    def close(self) -> None:
        """Kill the zygote's whole sandbox and remove its cgroups and work dir."""
        try:
            if self.channel is not None:
                self.channel.close()
        finally:
            self.sandbox.close()


def _namespace_pid(host_pid: int) -> int | None:
    """The pid a host process has in its innermost PID namespace (NSpid's last field)."""
    try:
        for line in Path(f"/proc/{host_pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except OSError:
        pass
    return None


def _parent_pid(host_pid: int) -> int | None:
    try:
        text = Path(f"/proc/{host_pid}/stat").read_text()
    except OSError:
        return None
    return int(text[text.rfind(")") + 2:].split()[1])


