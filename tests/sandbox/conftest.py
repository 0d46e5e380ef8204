"""Fixtures of the sandbox tests: a private jobs directory for the real bubblewrap sandbox (no
mocks), a per-test token, and secrets planted on the host for the attacks to look for.
Running a probe and checking what a job left are in tests/support (probes, leftovers).

Every test here is marked `sandbox`. Limits are lowered (AUTOGRADER_SANDBOX_MAX_LIMITS) so a
timeout or CPU overrun costs seconds, not the production 60-90 s; the behaviour is the same.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from grader.sandbox.stale import remove_stale_jobs


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
