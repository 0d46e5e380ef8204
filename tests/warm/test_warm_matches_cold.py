"""Warm and cold runs of the same job give the same result: outcome, message, exit code,
signal and output for every way a job can end, and the same report for the same seed.

Both are judged by one supervision core (grader/sandbox/supervision.py) and differ only in how
the job's process is started; this is where a difference in the starting shows up.
"""

from __future__ import annotations

import dataclasses

import pytest

import grader.sandbox
from grader import grade
from grader.sandbox import run_job as cold_run_job
from tests.support.paths import REPO_ROOT
from tests.support.probes import run_probe
from tests.support.sandbox_limits import FAST_LIMITS

ENDINGS = {
    "prints": "print('hello')\n",
    "exits_3": "import sys\nsys.exit(3)\n",
    "exits_200": "import sys\nsys.exit(200)\n",
    "os_exit": "import os\nos._exit(7)\n",
    "raises": "raise ValueError('boom')\n",
    "segfault": "import ctypes\nctypes.string_at(0)\n",
    "aborts": "import os\nos.abort()\n",
    "exit_message": "import sys\nsys.exit('bye')\n",
    "file_too_large": "open('/work/big', 'wb').write(b'x' * (17 * 2**20))\n",
    "spins": "while True:\n    pass\n",
    "sleeps": "import time\ntime.sleep(60)\n",
    "writes_out": "open('/work/out/r.txt', 'w').write('r')\nprint(open('/work/submission/probe.py').read()[:4])\n",
}
LIMITS = dataclasses.replace(FAST_LIMITS, cpu_time_s=2, wall_time_s=3)


@pytest.mark.parametrize("name", sorted(ENDINGS))
def test_a_job_ends_the_same_warm_and_cold(ready_pool, name) -> None:
    code = ENDINGS[name]
    warm, warm_left = run_probe(code, LIMITS, runner=ready_pool.run_job)
    cold, cold_left = run_probe(code, LIMITS, runner=cold_run_job)
    assert ready_pool.stats.cold_runs == 0, "the warm run fell back to cold"
    assert (warm.outcome, warm.message) == (cold.outcome, cold.message)
    if not cold.outcome.is_limit:
        # At a limit, which of two mechanisms fires first is a race in both modes (the CPU
        # rlimit's SIGXCPU, or the runner's cgroup check and SIGKILL): only the outcome counts.
        assert (warm.exit_code, warm.signal) == (cold.exit_code, cold.signal)
    assert warm.stdout == cold.stdout
    assert warm.truncated_output == cold.truncated_output
    assert sorted(warm_left) == sorted(cold_left)
    if name == "raises":
        assert b"ValueError: boom" in warm.stderr and b"ValueError: boom" in cold.stderr
    if name == "exit_message":
        assert warm.stderr == cold.stderr == b"bye\n"


def test_the_same_seed_gives_the_same_report_warm_and_cold(ready_pool, monkeypatch) -> None:
    files = {"mlp.py": (REPO_ROOT / "reference" / "mlp.py").read_bytes(),
             "gd.py": (REPO_ROOT / "reference" / "gd.py").read_bytes()}
    cold = grade(files, seed=2024).to_dict("student")
    # As a worker does: every sandbox run of this process goes through the warm pool.
    monkeypatch.setattr(grader.sandbox, "_default_runner", ready_pool.run_job)
    before = ready_pool.stats.warm_runs
    warm = grade(files, seed=2024).to_dict("student")
    assert ready_pool.stats.warm_runs == before + 3  # mlp and both gd calls ran warm
    assert warm == cold
    assert warm["score"] == warm["max_score"]
