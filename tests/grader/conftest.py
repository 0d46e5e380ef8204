"""Fixtures of the engine tests: the assignment's settings, reference sources, and a
memoized grade so each distinct submission runs in the sandbox once per session (each run
imports torch: about 3 s)."""

import os
import sys
from pathlib import Path

import pytest

from grader import grade
from grader.assignment import load_assignment

REPO = Path(__file__).resolve().parents[2]
# The installed console script, run as students and CI run it (`python -m app.cli` would
# load app.cli twice, as __main__ and as app.cli, and its UsageError would not be caught).
AUTOGRADER = str(Path(sys.executable).parent / "autograder")
# The seed of the sandboxed tests: any seed must do (tests/grader/test_tolerance.py checks
# many for the tolerance); one fixed seed keeps the runs few and failures reproducible.
# AUTOGRADER_TEST_SEED runs them with another seed.
SEED = int(os.environ.get("AUTOGRADER_TEST_SEED", "20261125"))


@pytest.fixture(scope="session")
def assignment():
    return load_assignment("hw1")


@pytest.fixture(scope="session")
def settings(assignment):
    return assignment.mlp


@pytest.fixture(scope="session")
def reference_source() -> str:
    return (REPO / "reference" / "mlp.py").read_text()


@pytest.fixture(scope="session")
def handout_source() -> str:
    return (REPO / "reference" / "handout" / "mlp.py").read_text()


@pytest.fixture(scope="session")
def grade_mlp_source():
    """grade({"mlp.py": source}, seed=SEED), memoized for the session; returns the Report."""
    cache = {}

    def run(source: str | bytes):
        data = source.encode() if isinstance(source, str) else source
        if data not in cache:
            cache[data] = grade({"mlp.py": data}, seed=SEED)
        return cache[data]

    return run


def mlp_tests(report) -> dict:
    """item name without `mlp.` -> TestResult."""
    return {t.name[4:]: t for t in report.tests if t.name.startswith("mlp.")}
