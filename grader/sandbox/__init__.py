"""The sandbox: runs one job of untrusted code under bubblewrap and returns its outcome.

    with run_job(SandboxJob("mlp_harness.py", files), limits) as result:
        ...  # result.outcome, result.message, result.workdir / "out"

A process may route every run through another runner with the same contract (a Celery
worker installs grader.warm.run_job, its pool of warm zygotes) by `set_default_runner`;
the engine keeps calling `run_job` and cannot tell the difference.

Stdlib only. See docs/threat-model.md for what it protects against and what it does not.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, ContextManager, Iterator

from grader.sandbox import runner as _runner
from grader.sandbox.errors import SandboxError, SandboxStartError, SandboxUnavailable
from grader.sandbox.job import Outcome, SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.policy import Bind, SandboxPolicy
from grader.sandbox.runner import SandboxProcess, default_policy, find_bwrap

__all__ = [
    "Bind", "Limits", "Outcome", "SandboxError", "SandboxJob", "SandboxPolicy", "SandboxProcess",
    "SandboxResult", "SandboxStartError", "SandboxUnavailable", "default_policy", "find_bwrap",
    "run_job", "set_default_runner",
]

Runner = Callable[[SandboxJob, Limits], ContextManager[SandboxResult]]
_default_runner: Runner | None = None


def set_default_runner(runner: Runner | None) -> None:
    """Route this process's `run_job` calls through `runner` (None: the cold runner again)."""
    global _default_runner
    _default_runner = runner


@contextmanager
def run_job(job: SandboxJob, limits: Limits, policy: SandboxPolicy | None = None, *,
            use_cgroups: bool = True) -> Iterator[SandboxResult]:
    """Run `job` under `limits`: through the default runner when one is set and the caller
    asks for nothing special (its own policy, no cgroups), else in a fresh cold sandbox."""
    if _default_runner is not None and policy is None and use_cgroups:
        with _default_runner(job, limits) as result:
            yield result
        return
    with _runner.run_job(job, limits, policy, use_cgroups=use_cgroups) as result:
        yield result
