"""Fixtures of the engine tests: the assignment's settings and reference sources."""

from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.mlp.grade import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def assignment():
    return load_assignment("hw1")


@pytest.fixture(scope="session")
def settings(assignment):
    return Settings.from_config(assignment.mlp)


@pytest.fixture(scope="session")
def reference_source() -> str:
    return (REPO / "reference" / "mlp.py").read_text()


@pytest.fixture(scope="session")
def handout_source() -> str:
    return (REPO / "reference" / "handout" / "mlp.py").read_text()
