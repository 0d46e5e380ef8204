"""One run of a harness in the sandbox, with its outputs read back safely.

Shared by the mlp and gd graders: the outputs must be read while the work dir exists, and a
failure of the sandbox itself becomes a GraderFault (the service retries; never a zero).
"""

from __future__ import annotations

from grader.errors import GraderFault
from grader.outputs import CaseOutput, read_results
from grader.sandbox.job import SandboxJob, SandboxResult
from grader.sandbox.limits import Limits


def run_harness(job: SandboxJob, limits: Limits) -> tuple[SandboxResult, dict[str, CaseOutput]]:
    """The run's result and the outputs it left in out/ (checked, float64)."""
    # Looked up at call time: a worker routes run_job through its warm pool.
    from grader.sandbox import Outcome, run_job
    from grader.sandbox.errors import SandboxError

    try:
        with run_job(job, limits) as result:
            if result.outcome == Outcome.INTERNAL:
                raise GraderFault(f"the sandbox failed: {result.message}")
            outputs = read_results(result.workdir, limits)
    except SandboxError as error:
        raise GraderFault(f"the sandbox failed: {error}") from error
    return result, outputs
