"""How a job that ended by itself ended, for the supervision core (supervision.py), which
judges cold and warm jobs alike.

The core first settles what the watch saw (the sandbox never started, a limit the job was
stopped for or that the counters show, no exit status came back); what is left is decided
here from the trusted side's own measurements, which the job cannot fake, before its exit
status.
"""

from __future__ import annotations

import signal

from grader.sandbox.job import Outcome
from grader.sandbox.limits import Limits
from grader.sandbox.workdir import WorkDir


def split_exit_status(exit_status: int | None) -> tuple[int | None, int | None]:
    """bwrap's one number as (exit code, signal number): it reports a death by a signal as
    128 + the signal number, like a shell (the warm fork server reports the same way)."""
    if exit_status is None:
        return None, None
    if exit_status > 128:
        return None, exit_status - 128
    return exit_status, None


def ended_by_itself(limits: Limits, workdir: WorkDir, cpu_time_s: float, exit_code: int | None,
                    signal_number: int | None) -> Outcome:
    """CPU and disk limits first (a job killed by SIGXCPU or SIGXFSZ hit a limit, it did not
    crash), then a signal of its own, then its exit code."""
    if signal_number == signal.SIGXCPU or cpu_time_s > limits.cpu_time_s:
        return Outcome.CPU_TIME
    if (signal_number == signal.SIGXFSZ or workdir.is_full()
            or workdir.has_file_of(limits.file_size_mb * 2**20)):
        return Outcome.DISK
    if signal_number is not None:
        return Outcome.SIGNALED
    if exit_code == 0:
        return Outcome.OK
    return Outcome.RUNTIME_ERROR
