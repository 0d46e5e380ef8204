"""The words a student reads when a run ends: which limit, with its number and unit.

One place, so the CLI, the API and the tests all show the same sentence for the same cause.
"""

from __future__ import annotations

import signal as signals

from grader.sandbox.job import Outcome
from grader.sandbox.limits import Limits


def _seconds(value: float) -> str:
    return f"{value:g} seconds"


def describe(outcome: Outcome, limits: Limits, exit_code: int | None,
             signal_number: int | None) -> str:
    """One sentence for a student."""
    if outcome is Outcome.OK:
        return "finished normally"
    if outcome is Outcome.WALL_TIME:
        return (f"stopped: ran longer than {_seconds(limits.wall_time_s)} of wall-clock time "
                "(an endless loop, a sleep, or waiting on something that never comes)")
    if outcome is Outcome.CPU_TIME:
        return f"stopped: used more than {_seconds(limits.cpu_time_s)} of CPU time"
    if outcome is Outcome.MEMORY:
        return f"stopped: used more than {limits.memory_mb} MB of memory"
    if outcome is Outcome.DISK:
        return (f"stopped: wrote more than allowed to disk (at most {limits.file_size_mb} MB "
                f"per file and {limits.workdir_mb} MB in all)")
    if outcome is Outcome.PROCESSES:
        return (f"stopped: started more than {limits.processes} processes or threads at once "
                "(a fork bomb, or a pool that is too large)")
    if outcome is Outcome.SIGNALED:
        name = _signal_name(signal_number)
        if signal_number == signals.SIGSEGV:
            return f"crashed with a segmentation fault ({name}): invalid memory access"
        return f"crashed: killed by signal {name}"
    if outcome is Outcome.RUNTIME_ERROR:
        return f"exited with status {exit_code} before finishing"
    return internal("")


def internal(detail: str) -> str:
    """Said when the sandbox failed, not the student's code; the detail is for staff logs."""
    text = "the grader could not run this submission (an internal error, not your fault)"
    return f"{text}: {detail}" if detail else text


def _signal_name(number: int | None) -> str:
    try:
        return signals.Signals(number).name
    except (TypeError, ValueError):
        return str(number)
