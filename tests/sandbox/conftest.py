"""Fixtures of the sandbox tests: run code in the real bubblewrap sandbox (no mocks), plant
secrets on the host, and look afterwards for anything that got out.

Every test here is marked `sandbox`. Limits are lowered (AUTOGRADER_SANDBOX_MAX_LIMITS) so a
timeout or CPU overrun costs seconds, not the production 60-90 s; the behaviour is the same.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator

import pytest

from grader.sandbox import Limits, SandboxJob, SandboxResult, run_job
from grader.sandbox.stale import remove_stale_jobs

CHECKOUT = Path(__file__).resolve().parents[2]

FAST_LIMITS = Limits(cpu_time_s=4.0, wall_time_s=6.0, memory_mb=1024, processes=32,
                     file_size_mb=16, workdir_mb=64, open_files=128, output_bytes=8192)
"""Small limits for run_job-level tests: same mechanisms, seconds instead of minutes."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.sandbox)


@pytest.fixture(scope="session", autouse=True)
def sandbox_available() -> None:
    """Fail (not skip) without bubblewrap: a machine that cannot sandbox cannot grade."""
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install bubblewrap", pytrace=False)


@pytest.fixture(scope="session", autouse=True)
def private_jobs_dir() -> Iterator[Path]:
    """This session's own jobs directory, so leftovers are ours to see (other processes on
    the machine grade too). In /tmp: the sandbox's host uid must be able to walk to it."""
    base = Path(tempfile.mkdtemp(prefix="autograder-test-jobs-", dir="/tmp"))
    base.chmod(0o711)
    previous = os.environ.get("AUTOGRADER_SANDBOX_DIR")
    os.environ["AUTOGRADER_SANDBOX_DIR"] = str(base)
    yield base
    remove_stale_jobs(base)  # unmounts what a test that failed midway may have left
    shutil.rmtree(base, ignore_errors=True)
    if previous is None:
        os.environ.pop("AUTOGRADER_SANDBOX_DIR", None)
    else:
        os.environ["AUTOGRADER_SANDBOX_DIR"] = previous


@pytest.fixture
def token() -> str:
    """A value unique to one test: in a marker file's name, a process's argv, a Redis key."""
    return f"sbx{secrets.token_hex(8)}"


@pytest.fixture
def host_dir() -> Iterator[Path]:
    """A host directory the sandbox must never see: attacks aim their markers at it.

    In /tmp and mode 0777, so any uid could write there and read its files: if a marker
    is not written, it is the sandbox's walls that stopped it, not file permissions."""
    path = Path(tempfile.mkdtemp(prefix="autograder-escape-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def planted_secret(host_dir: Path, token: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Secrets the grading process holds: an environment variable and a readable file."""
    value = f"SECRET-{token}"
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", value)
    secret_file = host_dir / "secret.txt"
    secret_file.write_text(f"FILE-{value}\n")
    secret_file.chmod(0o644)
    return {"env": value, "file": str(secret_file), "file_text": f"FILE-{value}"}


def run_probe(code: str, limits: Limits = FAST_LIMITS, files: dict[str, bytes] | None = None,
              **options) -> tuple[SandboxResult, dict[str, bytes]]:
    """Run `code` as the probe harness's program; returns the result and the files the job
    left in /work (read before the work dir is removed)."""
    job_files = {"submission/probe.py": code.encode(), **(files or {})}
    with run_job(SandboxJob("probe_harness.py", job_files), limits, **options) as result:
        left = {}
        if result.workdir.is_dir():
            for path in result.workdir.rglob("*"):
                if path.is_file() and not path.is_symlink():
                    left[str(path.relative_to(result.workdir))] = path.read_bytes()[:4096]
    return result, left


def processes_with(text: str) -> list[int]:
    """Pids of host processes whose command line contains `text`."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(int(name))
        except OSError:
            pass
    return found


NAME_ITSELF = ("import ctypes\n"
               "ctypes.CDLL(None).prctl(15, {name!r}.encode(), 0, 0, 0)  # PR_SET_NAME\n")
"""Probe prologue: names the process (and every child it forks) so the test can find
exactly this job's processes among others' (other tests on the machine use the probe too)."""


def processes_named(name: str) -> list[int]:
    """Pids of host processes whose name (/proc/<pid>/comm, 15 characters) is `name`."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm") as handle:
                    if handle.read().strip() == name[:15]:
                        found.append(int(pid))
            except OSError:
                pass
    return found


def assert_nothing_left(token: str, host_dir: Path, jobs_dir: Path, wait_s: float = 0.0) -> None:
    """No process carrying the token, no file in the host dir but ours, no job dir."""
    if wait_s:
        time.sleep(wait_s)
    assert processes_with(token) == [], "a process of the job outlived it"
    planted = {"secret.txt"}
    assert sorted(p.name for p in host_dir.iterdir() if p.name not in planted) == []
    assert list(jobs_dir.iterdir()) == [], "a job's work dir was left behind"
