"""Fixtures of the engine tests: the assignment's settings, reference sources, and a
memoized grade so each distinct submission runs in the sandbox once per session (each run
imports torch: about 3 s)."""

import pytest

from grader import grade
from grader.assignment import load_assignment
from grader_helpers import SEED
from tests.support.paths import REPO_ROOT



@pytest.fixture(scope="session")
def assignment():
    return load_assignment("hw1")


@pytest.fixture(scope="session")
def settings(assignment):
    return assignment.mlp


@pytest.fixture(scope="session")
def reference_source() -> str:
    return (REPO_ROOT / "reference" / "mlp.py").read_text()


@pytest.fixture(scope="session")
def handout_source() -> str:
    return (REPO_ROOT / "reference" / "handout" / "mlp.py").read_text()


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
