"""Every limit of the sandbox still holds for a job run in a zygote: the job ends with the
same outcome and words as in a cold run, within its limit, nothing it started survives, and
the pool goes on serving warm jobs (with the same zygote, or a fresh one when it had to go).
"""

from __future__ import annotations

import dataclasses
import os
import time

import pytest

from grader.sandbox import Outcome
from tests.support.host_processes import processes_with
from tests.support.probes import run_probe
from tests.support.sandbox_limits import FAST_LIMITS
from warm_helpers import job_processes, observe, same_zygote


def still_serves(pool) -> None:
    assert pool.wait_ready(180), pool.stats
    assert observe(pool, "import json; print(json.dumps({'ok': 1}))") == {"ok": 1}
    assert job_processes(pool) == []


def test_fork_bomb_stops_at_the_process_limit(ready_pool) -> None:
    # Exploit: fork without end. The zygote's pids cgroup, set per job to the zygote's own
    # tasks + the job's limit, refuses the 33rd; the trusted side kills every job process.
    code = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"
    with same_zygote(ready_pool):
        result, _ = run_probe(code, runner=ready_pool.run_job)
        assert result.outcome is Outcome.PROCESSES
        assert "more than 32 processes" in result.message
        assert result.wall_time_s < FAST_LIMITS.wall_time_s
        assert job_processes(ready_pool) == []
    still_serves(ready_pool)


def test_memory_bomb_stops_at_the_memory_limit(ready_pool) -> None:
    # Exploit: touch memory until the machine swaps. The group's limit covers zygote + job
    # (as a cold run's covers its torch import + job); the job's oom_score_adj of 1000 makes
    # the kernel kill the job, not the zygote.
    code = "chunks = []\nwhile True:\n    chunks.append(bytearray(64 * 2**20))\n"
    limits = dataclasses.replace(FAST_LIMITS, memory_mb=768)
    result, _ = run_probe(code, limits, runner=ready_pool.run_job)
    assert result.outcome is Outcome.MEMORY
    assert result.message == "stopped: used more than 768 MB of memory"
    still_serves(ready_pool)


def test_infinite_loop_stops_at_the_cpu_limit(ready_pool) -> None:
    limits = dataclasses.replace(FAST_LIMITS, cpu_time_s=2)
    with same_zygote(ready_pool):
        result, _ = run_probe("while True:\n    pass\n", limits, runner=ready_pool.run_job)
    assert result.outcome is Outcome.CPU_TIME
    assert result.message == "stopped: used more than 2 seconds of CPU time"
    assert result.wall_time_s < 2 + 3
    still_serves(ready_pool)


def test_cpu_spread_over_processes_is_summed(ready_pool) -> None:
    # Exploit: RLIMIT_CPU is per process; four busy processes of 1 s each stay under it.
    code = ("import os\nfor _ in range(3):\n    if os.fork() == 0:\n        break\n"
            "while True:\n    pass\n")
    limits = dataclasses.replace(FAST_LIMITS, cpu_time_s=2)
    with same_zygote(ready_pool):
        result, _ = run_probe(code, limits, runner=ready_pool.run_job)
        assert result.outcome is Outcome.CPU_TIME
        assert job_processes(ready_pool) == []


def test_sleep_forever_stops_at_the_wall_time_limit(ready_pool, token) -> None:
    code = f"import time\nTAG = {token!r}\ntime.sleep(3600)\n"
    limits = dataclasses.replace(FAST_LIMITS, wall_time_s=2)
    started = time.monotonic()
    with same_zygote(ready_pool):
        result, _ = run_probe(code, limits, runner=ready_pool.run_job)
    assert result.outcome is Outcome.WALL_TIME
    assert "longer than 2 seconds" in result.message
    assert time.monotonic() - started < 2 + 3


def test_a_daemon_that_ignores_sigterm_dies_with_the_job(ready_pool, token) -> None:
    # Exploit: a double-forked, SIGTERM-ignoring daemon outlives the job and writes into
    # the next one's /work. Every process of the group but the zygote's gets SIGKILL.
    code = (f"import os, signal, time, sys\nsys.argv[0] = {token!r}\n"
            "if os.fork() == 0:\n    os.setsid()\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "    if os.fork() == 0:\n        os.execv(sys.executable, [sys.executable, '-c', "
            f"'import time; time.sleep(5); open(\"/work/late.txt\", \"w\")', {token!r}])\n"
            "    os._exit(0)\nos.wait()\nprint('left a daemon')\n")
    with same_zygote(ready_pool):
        result, _ = run_probe(code, runner=ready_pool.run_job)
        assert result.outcome is Outcome.OK, result.stderr
        assert processes_with(token) == []
        assert job_processes(ready_pool) == []


def test_filling_the_disk_stops_at_the_work_dir_limit(ready_pool) -> None:
    code = ("i = 0\nwhile True:\n    open(f'/work/fill{i}', 'wb').write(b'x' * 2**20 * 8)\n    i += 1\n")
    limits = dataclasses.replace(FAST_LIMITS, workdir_mb=32)
    with same_zygote(ready_pool):
        result, _ = run_probe(code, limits, runner=ready_pool.run_job)
        assert result.outcome is Outcome.DISK, (result.outcome, result.stderr[-500:])
        # The next job has the whole (resized) work dir again.
        code = "for i in range(4):\n    open(f'/work/out/x{i}', 'wb').write(b'x' * 2**20 * 10)\n"
        result, left = run_probe(code, runner=ready_pool.run_job)
    assert result.outcome is Outcome.OK, result.stderr
    assert [name for name in left if name.startswith("fill")] == []


def test_one_file_above_the_file_size_limit(ready_pool) -> None:
    code = "open('/work/big', 'wb').write(b'x' * (17 * 2**20))\n"
    with same_zygote(ready_pool):
        result, _ = run_probe(code, runner=ready_pool.run_job)
    assert result.outcome is Outcome.DISK


def test_flooding_stdout_keeps_only_the_first_bytes(ready_pool) -> None:
    code = "import sys\nfor _ in range(20000):\n    sys.stdout.write('y' * 1000 + '\\n')\n"
    with same_zygote(ready_pool):
        result, _ = run_probe(code, runner=ready_pool.run_job)
    assert result.outcome is Outcome.OK
    assert len(result.stdout) == FAST_LIMITS.output_bytes and result.truncated_output


def test_open_files_limit_holds(ready_pool) -> None:
    code = ("import os\nfds = []\ntry:\n    while True:\n        fds.append(os.open('/dev/null', os.O_RDONLY))\n"
            "except OSError:\n    print(len(fds))\n")
    with same_zygote(ready_pool):
        result, _ = run_probe(code, runner=ready_pool.run_job)
    assert result.outcome is Outcome.OK
    assert int(result.stdout) == FAST_LIMITS.open_files - 3  # stdin, stdout, stderr


@pytest.fixture
def token() -> str:
    return f"warm{os.urandom(6).hex()}"
