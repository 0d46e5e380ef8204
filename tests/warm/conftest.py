"""Fixtures of the warm-sandbox tests: a real WarmPool (bwrap, zygote, cgroups; no mocks)
with one zygote, so consecutive jobs are known to share it, in a private jobs directory.

Every test here is marked `sandbox` and `slow` (a zygote imports torch: ~3 s idle, ~10 s
with the machine's 2 cores shared)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from grader.warm import WarmPool, WarmSettings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.sandbox)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def private_jobs_dir() -> Iterator[Path]:
    """This session's own jobs directory (zygotes' and cold jobs' work dirs), in /tmp so
    the sandbox's host uid can walk to it."""
    if shutil.which("bwrap") is None:
        pytest.fail("bubblewrap is not installed: apt-get install bubblewrap", pytrace=False)
    base = Path(tempfile.mkdtemp(prefix="autograder-warm-test-", dir="/tmp"))
    base.chmod(0o711)
    previous = os.environ.get("AUTOGRADER_SANDBOX_DIR")
    os.environ["AUTOGRADER_SANDBOX_DIR"] = str(base)
    yield base
    shutil.rmtree(base, ignore_errors=True)
    if previous is None:
        os.environ.pop("AUTOGRADER_SANDBOX_DIR", None)
    else:
        os.environ["AUTOGRADER_SANDBOX_DIR"] = previous


@pytest.fixture(scope="module")
def pool(private_jobs_dir: Path) -> Iterator[WarmPool]:
    """One zygote, started once per test module."""
    pool = WarmPool(WarmSettings(zygotes=1, start_timeout_s=180))
    assert pool.wait_ready(), f"the zygote did not start: {pool.stats}"
    yield pool
    pool.close()


@pytest.fixture
def ready_pool(pool: WarmPool) -> WarmPool:
    """The module's pool with its zygote idle again (a test before may have replaced it)."""
    assert pool.wait_ready(), f"no zygote after a replacement: {pool.stats}"
    return pool
