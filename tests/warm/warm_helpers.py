"""Helpers of the warm-sandbox tests: run code as a job through a real WarmPool (real bwrap,
real zygote, real cgroups) or through the cold runner, and read what it left in /work."""

from __future__ import annotations

import json
from pathlib import Path
from contextlib import contextmanager
from typing import Iterator

from grader.sandbox import Limits, SandboxJob, SandboxResult, run_job
from grader.warm import WarmPool

REPO = Path(__file__).resolve().parents[2]

FAST_LIMITS = Limits(cpu_time_s=4.0, wall_time_s=6.0, memory_mb=1536, processes=32,
                     file_size_mb=16, workdir_mb=64, open_files=128, output_bytes=8192)
"""Small limits: the same mechanisms as production, seconds instead of minutes. Memory is
higher than the sandbox tests' 1024 MB: the zygote's ~400 MB of imports count in a warm
job's group (as the import does in a cold one)."""


def probe_files(code: str) -> dict[str, bytes]:
    return {"submission/probe.py": code.encode()}


def run_probe(runner, code: str, limits: Limits = FAST_LIMITS) -> tuple[SandboxResult, dict[str, bytes]]:
    """Run `code` as the probe harness's __main__ through `runner` (a pool's run_job or the
    cold run_job); returns the result and the files the job left in /work."""
    with runner(SandboxJob("probe_harness.py", probe_files(code)), limits) as result:
        left = {}
        if result.workdir.is_dir():
            for path in result.workdir.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    left[str(path.relative_to(result.workdir))] = path.read_bytes()[:4096]
    return result, left


def observe(pool: WarmPool, code: str, limits: Limits = FAST_LIMITS) -> dict:
    """Run `code`, which prints one JSON object as its last line, and return that object."""
    result, _ = run_probe(pool.run_job, code, limits)
    assert result.outcome.value == "ok", (result.outcome, result.stderr.decode()[-2000:])
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


@contextmanager
def same_zygote(pool: WarmPool) -> Iterator[None]:
    """Assert that every job in the block ran warm in the pool's one zygote, never replaced."""
    assert pool.wait_ready(180), pool.stats
    (zygote,) = pool.idle_zygotes()
    before = (pool.stats.discarded, pool.stats.cold_runs, zygote.jobs)
    yield
    assert pool.wait_ready(180), pool.stats  # its reset after the last job is done
    (after,) = pool.idle_zygotes()
    assert after is zygote, f"the zygote was replaced: {pool.stats.last_discard}"
    assert (pool.stats.discarded, pool.stats.cold_runs) == before[:2], pool.stats


def cold_runner():
    return run_job
