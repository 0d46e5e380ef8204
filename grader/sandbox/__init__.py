"""The sandbox: runs one job of untrusted code under bubblewrap and returns its outcome.

    with run_job(SandboxJob("mlp_harness.py", files), limits) as result:
        ...  # result.outcome, result.message, result.workdir / "out"

`SandboxProcess` is the lifecycle underneath (prepare, start any command, supervise,
finish, close), for uses other than one harness run, such as a long-lived warm server.
Stdlib only. See docs/threat-model.md for what it protects against and what it does not.
"""

from grader.sandbox.errors import SandboxError, SandboxStartError, SandboxUnavailable
from grader.sandbox.job import Outcome, SandboxJob, SandboxResult
from grader.sandbox.limits import Limits
from grader.sandbox.policy import Bind, SandboxPolicy
from grader.sandbox.runner import SandboxProcess, default_policy, find_bwrap, run_job

__all__ = [
    "Bind", "Limits", "Outcome", "SandboxError", "SandboxJob", "SandboxPolicy", "SandboxProcess",
    "SandboxResult", "SandboxStartError", "SandboxUnavailable", "default_policy", "find_bwrap",
    "run_job",
]
