"""The pool's choices: warm when it can, cold when warm is off or a job does not fit a
zygote, with the same contract either way; and its settings."""

from __future__ import annotations

import dataclasses

import pytest

from grader.sandbox import Outcome
from grader.warm import WarmPool, WarmSettings
from tests.support.polling import wait_until
from tests.support.probes import run_probe
from tests.support.sandbox_limits import FAST_LIMITS
from warm_helpers import same_zygote


def test_warm_off_runs_every_job_cold() -> None:
    pool = WarmPool(WarmSettings(enabled=False))
    try:
        result, left = run_probe("open('/work/out/x', 'w').write('cold')\nprint('ran')",
                                 runner=pool.run_job)
    finally:
        pool.close()
    assert result.outcome is Outcome.OK and result.stdout == b"ran\n"
    assert left["out/x"] == b"cold"
    assert (pool.stats.cold_runs, pool.stats.warm_runs, pool.stats.started) == (1, 0, 0)


def test_a_job_whose_limits_do_not_fit_the_zygote_runs_cold(ready_pool) -> None:
    # A child cannot raise an rlimit above its zygote's: a larger file-size limit (the
    # zygote has the assignment defaults, 64 MB) can only be honoured by a cold run.
    limits = dataclasses.replace(FAST_LIMITS, file_size_mb=128)
    before = dataclasses.replace(ready_pool.stats)
    result, _ = run_probe("open('/work/big', 'wb').write(b'x' * 100 * 2**20)",
                          dataclasses.replace(limits, workdir_mb=64, memory_mb=1536),
                          runner=ready_pool.run_job)
    assert ready_pool.wait_ready(), ready_pool.stats
    assert ready_pool.stats.cold_runs == before.cold_runs + 1
    assert ready_pool.stats.discarded == before.discarded  # the zygote was fine, and kept
    assert result.outcome is Outcome.DISK  # 100 MB does not fit the 64 MB work dir
    with same_zygote(ready_pool):
        result, _ = run_probe("print('warm again')", runner=ready_pool.run_job)
    assert result.stdout == b"warm again\n"


def test_one_zygote_serves_many_jobs_without_being_replaced(ready_pool) -> None:
    with same_zygote(ready_pool):
        for index in range(10):
            result, _ = run_probe(f"print({index})", runner=ready_pool.run_job)
            assert result.stdout == f"{index}\n".encode()


def test_settings_come_from_the_environment() -> None:
    settings = WarmSettings.from_env({"AUTOGRADER_WARM_ENABLED": "0", "AUTOGRADER_WARM_ZYGOTES": "3",
                                      "AUTOGRADER_WARM_MEMORY_MB": "2048"})
    assert (settings.enabled, settings.zygotes, settings.memory_mb) == (False, 3, 2048)
    assert WarmSettings.from_env({}) == WarmSettings()


@pytest.mark.parametrize("environ", [{"AUTOGRADER_WARM_ENABLED": "maybe"},
                                     {"AUTOGRADER_WARM_ZYGOTES": "0"},
                                     {"AUTOGRADER_WARM_MEMORY_MB": "100"}])
def test_unusable_settings_are_refused(environ) -> None:
    with pytest.raises(ValueError):
        WarmSettings.from_env(environ)


SEE_OTHERS = r'''
import json, os, sys, time
mine = open("/work/submission/probe.py").read().split("#")[-1].strip()
open(f"/work/out/{mine}", "w").write(mine)
while not os.path.exists("/work/go"):  # dropped by the test once both jobs are running
    time.sleep(0.02)
seen = sorted(os.listdir("/work/out")) + sorted(os.listdir("/dev/shm"))
procs = [int(p) for p in os.listdir("/proc") if p.isdigit()]
print(json.dumps({"mine": mine, "seen": seen, "processes": len(procs)}))
'''


TAGS = ("alpha", "beta")
WAITS_FOR_GO = dataclasses.replace(FAST_LIMITS, wall_time_s=60)
"""Wall time enough for the other job to start on a loaded machine."""


def both_marked(jobs_dir) -> list:
    """The two jobs' markers in their work dirs, once both are there."""
    markers = [path for tag in TAGS for path in jobs_dir.glob(f"job-*/work/out/{tag}")]
    return markers if len(markers) == len(TAGS) else []


def test_two_jobs_at_once_run_in_two_zygotes_and_see_only_their_own(private_jobs_dir) -> None:
    # The pool is shared by a worker's threads (and an engine could grade mlp.py and gd.py
    # at once): each concurrent job gets its own zygote, with its own namespaces and /work.
    from concurrent.futures import ThreadPoolExecutor
    import json

    pool = WarmPool(WarmSettings(zygotes=2, start_timeout_s=180))
    try:
        assert pool.wait_ready(), pool.stats
        with ThreadPoolExecutor(2) as threads:
            running = [threads.submit(run_probe, SEE_OTHERS + f"# {tag}\n", WAITS_FOR_GO,
                                      runner=pool.run_job) for tag in TAGS]
            # Side by side, not one after the other in one zygote: each job's marker is in
            # its /work (the host sees the tmpfs) at the same moment; then both may look.
            markers = wait_until(lambda: both_marked(private_jobs_dir), 30,
                                 "both jobs in their sandboxes at once", interval_s=0.02)
            for marker in markers:
                (marker.parent.parent / "go").write_text("go")
            results = [job.result()[0] for job in running]
        assert pool.stats.warm_runs == 2 and pool.stats.cold_runs == 0, pool.stats
        assert pool.wait_ready(), pool.stats
        # One job each.
        assert sorted(z.jobs for z in pool.idle_zygotes()) == [1, 1]
    finally:
        pool.close()
    seen = [json.loads(result.stdout) for result in results]
    assert [s["seen"] for s in seen] == [["alpha"], ["beta"]]
    assert [s["processes"] for s in seen] == [3, 3]  # init, its zygote, itself: nothing else
