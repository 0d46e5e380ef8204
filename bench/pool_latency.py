"""Time of one sandbox run through the warm pool and through a cold sandbox, without the
service: a trivial job (`pass`) and the mlp.py harness on the hidden cases of one seed.

    .venv/bin/python bench/pool_latency.py [--runs 20]

Prints the median and 95th percentile of the time from asking for the run to having its
result, and of leaving the `with` block (what the engine waits for, together).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _timed(runner, job, limits) -> tuple[float, float]:
    started = time.perf_counter()
    with runner(job, limits) as result:
        assert result.outcome.value == "ok", (result.outcome, result.stderr[-500:])
        ready = time.perf_counter()
    return ready - started, time.perf_counter() - ready


def _line(name: str, times: list[tuple[float, float]]) -> str:
    run = sorted(t for t, _ in times)
    after = sorted(t for _, t in times)
    p95 = run[min(len(run) - 1, round(0.95 * (len(run) - 1)))]
    return (f"{name}: result after median {statistics.median(run) * 1000:.0f} ms, p95 "
            f"{p95 * 1000:.0f} ms; leaving the block median {statistics.median(after) * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=3)
    args = parser.parse_args(argv)
    base = Path(tempfile.mkdtemp(prefix="autograder-pool-bench-", dir="/tmp"))
    base.chmod(0o711)
    os.environ["AUTOGRADER_SANDBOX_DIR"] = str(base)

    from grader.assignment import load_assignment
    from grader.mlp.cases import generate_cases
    from grader.mlp.sandbox_run import build_job_files
    from grader.sandbox import Limits, SandboxJob, run_job
    from grader.warm import WarmPool, WarmSettings

    settings = load_assignment("hw1").mlp
    mlp = SandboxJob("mlp_harness.py", build_job_files(
        (REPO / "reference" / "mlp.py").read_text(), generate_cases(1, settings.counts), settings))
    trivial = SandboxJob("probe_harness.py", {"submission/probe.py": b"pass\n"})
    limits = Limits()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    pool = WarmPool(WarmSettings(zygotes=1))
    try:
        assert pool.wait_ready(), pool.stats
        for name, job in (("trivial job, warm", trivial), ("mlp.py harness, warm", mlp)):
            _timed(pool.run_job, job, limits)  # the first job forks inline; not the steady state
            print(_line(name, [_timed(pool.run_job, job, limits) for _ in range(args.runs)]), flush=True)
        assert pool.stats.cold_runs == 0 and pool.stats.discarded == 0, pool.stats
    finally:
        pool.close()
    for name, job in (("trivial job, cold", trivial), ("mlp.py harness, cold", mlp)):
        print(_line(name, [_timed(run_job, job, limits) for _ in range(args.cold_runs)]), flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
