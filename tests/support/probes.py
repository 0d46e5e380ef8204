"""Running code as a sandbox job: the probe harness runs `submission/probe.py` as __main__."""

from __future__ import annotations

from grader.sandbox import Limits, SandboxJob, SandboxResult, run_job

from tests.support.sandbox_limits import FAST_LIMITS

NAME_ITSELF = ("import ctypes\n"
               "ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)  # PR_SET_NAME\n")
"""Probe prologue: names the process (and every child it forks) so the test can find
exactly this job's processes among others' (other tests on the machine use the probe too)."""

LEFT_FILE_BYTES = 4096
"""How much of each file a job left in /work is kept: enough for any marker a test reads."""


def run_probe(code: str, limits: Limits = FAST_LIMITS, files: dict[str, bytes] | None = None,
              runner=run_job, **options) -> tuple[SandboxResult, dict[str, bytes]]:
    """Run `code` as the probe harness's program through `runner` (the cold run_job, or a
    warm pool's); returns the result and the files the job left in /work, read before the
    work dir is removed."""
    job_files = {"submission/probe.py": code.encode(), **(files or {})}
    with runner(SandboxJob("probe_harness.py", job_files), limits, **options) as result:
        left = {}
        if result.workdir.is_dir():
            for path in result.workdir.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    left[str(path.relative_to(result.workdir))] = path.read_bytes()[:LEFT_FILE_BYTES]
    return result, left
