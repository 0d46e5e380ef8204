"""A warm run's SandboxResult, decided by the same rules as a cold run, so the engine cannot
tell the two apart: what only the fork server sees (a limit it stopped the job for, an OOM
kill or refused fork in the counters afterwards) here, the rest by the sandbox's own
grader.sandbox.ending.ended_by_itself. tests/warm/test_warm_matches_cold.py runs the same
jobs both ways and compares outcomes and messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.sandbox import messages
from grader.sandbox.ending import ended_by_itself, split_exit_status
from grader.sandbox.job import Outcome, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.output import BoundedCapture
from grader.sandbox.workdir import WorkDir


@dataclass
class Seen:
    """What the trusted side measured during one warm job."""

    stopped_for: Outcome | None
    """The limit the trusted side stopped the job for while it ran."""
    limit_after: Outcome | None
    """A limit the counters show once it ended (an OOM kill, a refused fork)."""
    exit_status: int | None
    """As bwrap reports it for a cold run: the exit code, or 128 + the signal number."""
    wall_time_s: float
    cpu_time_s: float
    peak_memory_mb: float


def exit_status(reply: dict) -> int | None:
    """The zygote's {"code": n} / {"signal": n} as bwrap's single number."""
    if "signal" in reply:
        return 128 + int(reply["signal"])
    if "code" in reply:
        return int(reply["code"])
    return None


def build_result(seen: Seen, limits: Limits, workdir: WorkDir, stdout: BoundedCapture,
                 stderr: BoundedCapture) -> SandboxResult:
    exit_code, signal_number = split_exit_status(seen.exit_status)
    outcome = classify(seen, limits, workdir, exit_code, signal_number)
    return SandboxResult(
        outcome=outcome, message=messages.describe(outcome, limits, exit_code, signal_number),
        exit_code=exit_code, signal=signal_number, wall_time_s=seen.wall_time_s,
        cpu_time_s=seen.cpu_time_s, peak_memory_mb=seen.peak_memory_mb,
        stdout=stdout.data, stderr=stderr.data, workdir=workdir.path,
        truncated_output=bool(stdout.dropped_bytes or stderr.dropped_bytes))


def classify(seen: Seen, limits: Limits, workdir: WorkDir, exit_code: int | None,
             signal_number: int | None) -> Outcome:
    if seen.stopped_for is not None:
        return seen.stopped_for
    if seen.limit_after in (Outcome.MEMORY, Outcome.PROCESSES):
        return seen.limit_after
    if seen.exit_status is None:
        return Outcome.INTERNAL  # forkserver never builds a result without one; kept as cold has it
    return ended_by_itself(limits, workdir, seen.cpu_time_s, exit_code, signal_number)
