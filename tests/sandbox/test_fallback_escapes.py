"""The fallback isolation without cgroups (Gradescope's container) against a job that leaves
its launcher's tree: no PID namespace adopts a double-forked process there, so only the
launcher as subreaper and the job's uid keep it measured and killed. And the plain work dir
(no tmpfs: no CAP_SYS_ADMIN there) against a flood of empty files.

Each job runs in a child interpreter of the system's Python with this checkout on PYTHONPATH,
as the bundle runs it: the fallback refuses an interpreter the job's uid cannot reach (this
venv's lives under /root, mode 0700).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader.sandbox.workdir import INODES_PER_MB, WorkDir, reachable_by
from tests.support.paths import REPO_ROOT
from tests.support.probes import NAME_ITSELF

STRANGER_UID = 2**31 - 2
"""A uid that owns nothing: what a job's uid can reach, this one can."""
RUN_TIMEOUT_S = 120

FALLBACK_JOB = r'''
import json, sys
from grader.sandbox import Limits, SandboxJob
from grader.sandbox.fallback import probe_fallback, run_job
from tests.support.host_processes import processes_named

def alive(name):
    """Its processes that still run: a killed one may stay a zombie a while (the container's
    init reaps orphans when it will)."""
    found = []
    for pid in processes_named(name):
        try:
            with open(f"/proc/{pid}/stat") as handle:
                state = handle.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(pid)
    return found

name, code = sys.argv[1], sys.argv[2]
limits = Limits(cpu_time_s=10, wall_time_s=8, memory_mb=200, processes=32)
job = SandboxJob("probe_harness.py", {"submission/probe.py": code.encode()})
with run_job(job, limits, isolation=probe_fallback(), use_cgroups=False) as result:
    # What is alive when the result is handed over, before run_job's own cleanup.
    alive_at_result = alive(name)
print(json.dumps({"outcome": result.outcome.value, "peak_memory_mb": result.peak_memory_mb,
                  "alive_at_result": alive_at_result, "alive_after": alive(name)}))
'''

DAEMON = ("import os, time\n"
          "if os.fork() == 0:\n"
          "    os.setsid()\n"
          "    if os.fork() == 0:\n"
          "{body}"
          "    os._exit(0)\n"
          "{parent}")


def _system_python() -> str:
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (Path(sys.base_prefix) / "bin" / version, Path("/usr/bin") / version):
        if candidate.exists() and reachable_by(candidate, STRANGER_UID):
            return str(candidate)
    pytest.fail(f"no {version} reachable by other uids: the fallback runs jobs as another uid",
                pytrace=False)


def _run_fallback(name: str, code: str) -> dict:
    completed = subprocess.run(
        [_system_python(), "-c", FALLBACK_JOB, name, NAME_ITSELF.format(name=name) + code],
        cwd="/", capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.splitlines()[-1])


def test_a_daemons_memory_counts_against_the_job(token: str) -> None:
    # Reviewer's escape: the parent sleeps within its limits while a double-forked child,
    # adopted by the host's init, allocated 400 MB unseen (outcome ok, peak ~20 MB).
    body = ("        chunks = [b'x' * (50 * 2**20) for _ in range(8)]\n"
            "        time.sleep(30)\n")
    report = _run_fallback(token[-15:], DAEMON.format(body=body, parent="time.sleep(6)\n"))
    assert report["outcome"] == "memory", report
    assert report["alive_at_result"] == [] and report["alive_after"] == []


def test_a_job_cannot_kill_its_killer(token: str) -> None:
    # kill_uid used to drop to the job's uid: a daemon looping kill(-1, SIGKILL) killed it
    # first and ran on after the result (a warning in the log, the grade stored).
    body = ("        import signal\n"
            "        while True:\n"
            "            try:\n"
            "                os.kill(-1, signal.SIGKILL)\n"
            "            except OSError:\n"
            "                pass\n")
    # The parent waits for the daemon to kill it: the daemon is looping by then.
    report = _run_fallback(token[-15:], DAEMON.format(body=body, parent="time.sleep(30)\n"))
    assert report["alive_at_result"] == [] and report["alive_after"] == [], report
    assert report["outcome"] != "internal", report


def test_pages_that_forks_share_count_once(token: str) -> None:
    # Six forks of a process holding 120 MB: summed RSS (840 MB) is over the 200 MB limit,
    # but they share those pages: the job holds about 130 MB and is not stopped.
    code = ("import os, time\n"
            "held = b'x' * (120 * 2**20)\n"
            "children = []\n"
            "for _ in range(6):\n"
            "    pid = os.fork()\n"
            "    if pid == 0:\n"
            "        time.sleep(3)\n"
            "        os._exit(0)\n"
            "    children.append(pid)\n"
            "for pid in children:\n"
            "    os.waitpid(pid, 0)\n")
    report = _run_fallback(token[-15:], code)
    assert report["outcome"] == "ok", report
    assert 100 < report["peak_memory_mb"] < 200, report


def test_empty_files_fill_a_plain_work_dir(tmp_path: Path) -> None:
    # Empty files take no blocks: a plain directory (where no tmpfs can be mounted) measured
    # by blocks alone never reached its limit, however many millions a job created.
    size_mb = 4
    workdir = WorkDir(root=tmp_path, path=tmp_path / "work", size_mb=size_mb, is_tmpfs=False)
    (workdir.path / "many").mkdir(parents=True)
    for index in range(size_mb * INODES_PER_MB + 1):
        (workdir.path / "many" / str(index)).touch()
    assert workdir.used_mb() > size_mb
    assert workdir.is_full()
