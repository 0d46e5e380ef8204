"""A warm job as the supervision core sees it (grader.sandbox.supervision.Started): a child
the zygote forked, whose end the zygote reports on its control socket.

Everything else (limits, the watch loop, the kill, the verdict) is the core's, as for a cold
job; what is here is only what a fork server adds: the exit status comes from the zygote,
the zygote is sent SIGCONT on every poll (a job can SIGSTOP it), the zygote's death mid-job
leaves the result unknown unless a limit explains it, and the zygote's own three processes
survive the kill.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from grader.sandbox.output import BoundedCapture
from grader.sandbox.supervision import Reader, Seen
from grader.warm.errors import ZygoteLost

if TYPE_CHECKING:
    from grader.warm.forkserver import Zygote


def exit_status(reply: dict) -> int | None:
    """The zygote's {"code": n} / {"signal": n} as bwrap's single number."""
    if "signal" in reply:
        return 128 + int(reply["signal"])
    if "code" in reply:
        return int(reply["code"])
    return None


class ExitReport:
    """The zygote's control socket while its job runs: one message, the job's exit, is
    expected; the zygote closing it (dead) is noted as `lost`."""

    def __init__(self, zygote: "Zygote") -> None:
        self.zygote = zygote
        self.fd = zygote.channel.fileno()
        self.closed = False
        self.exited: dict | None = None
        self.lost: ZygoteLost | None = None

    def read_available(self) -> None:
        try:
            self.exited = self.zygote.exit_reply(self.zygote.channel.receive(0))
        except ZygoteLost as error:
            self.lost = error
        self.closed = True


class ForkedJob:
    """One job forked by a zygote, from the moment the zygote was asked to run it."""

    def __init__(self, zygote: "Zygote", started_at: float, stdout: BoundedCapture,
                 stderr: BoundedCapture) -> None:
        self.zygote, self.started_at = zygote, started_at
        self.stdout, self.stderr = stdout, stderr
        self.exit_report = ExitReport(zygote)

    @property
    def readers(self) -> Sequence[Reader]:
        return (self.stdout, self.stderr, self.exit_report)

    def ended(self) -> bool:
        return self.exit_report.closed

    def each_poll(self) -> None:
        # A job can stop its parent with SIGSTOP (the one signal the zygote cannot block);
        # stopped, it could not report the job's exit. SIGCONT to a running process does
        # nothing, so it is sent on every poll (every 50 ms).
        self.zygote.continue_zygote()

    def kill(self, seen: Seen) -> None:
        """Every process of the job dies; the zygote's own three stay. A zygote that died
        during the job leaves its result unknown (ZygoteLost) unless a limit the counters
        show explains the death (the OOM killer may pick the zygote)."""
        zygote, report = self.zygote, self.exit_report
        if report.lost is not None:
            zygote.doubtful = "the zygote died during a job"
            zygote.accounting.kill_job()
            if seen.stopped_for is None:
                raise report.lost
        elif report.exited is None:
            # Stopped for a limit: kill, then wait for the zygote to reap the job (its
            # status is that of our SIGKILL, which a cold run never reports either).
            zygote.accounting.kill_job()
            try:
                zygote.exit_reply(zygote.await_reply())
            except ZygoteLost as error:
                zygote.doubtful = str(error)  # the verdict stands (a limit); the zygote goes
        report.closed = True  # nothing more to read on the socket for this job
        if not zygote.accounting.kill_job():  # daemons, double forks: whatever the job left
            zygote.doubtful = "processes of the job survived SIGKILL"
        zygote.continue_zygote()

    def report(self, seen: Seen) -> None:
        seen.started = True
        if self.exit_report.exited is not None:
            seen.exit_status = exit_status(self.exit_report.exited)
