"""Helpers of the warm-sandbox tests: what a job run through a real WarmPool (real bwrap, real
zygote, real cgroups) printed, which processes it left in its zygote's group, and whether the
zygote stayed the same. Running a probe is tests/support/probes.py's run_probe with
`runner=pool.run_job`."""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

from grader.sandbox import Limits
from grader.warm import WarmPool
from tests.support.probes import run_probe
from tests.support.sandbox_limits import FAST_LIMITS


def observe(pool: WarmPool, code: str, limits: Limits = FAST_LIMITS) -> dict:
    """Run `code`, which prints one JSON object as its last line, and return that object."""
    result, _ = run_probe(code, limits, runner=pool.run_job)
    assert result.outcome.value == "ok", (result.outcome, result.stderr.decode()[-2000:])
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def job_processes(pool: WarmPool) -> list[int]:
    """Processes in the idle zygote's cgroup that are not the zygote's own (bwrap, init,
    zygote) nor the spare child it forks ahead for the next job."""
    assert pool.wait_ready(180), pool.stats  # the reset after the last job is done
    (zygote,) = pool.idle_zygotes()
    return zygote.leftover_pids()


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
