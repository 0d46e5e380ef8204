"""Helpers of the engine tests (a module of its own: test modules import it, not conftest)."""

from __future__ import annotations

import os

SEED = int(os.environ.get("AUTOGRADER_TEST_SEED", "20261125"))
"""The seed of the sandboxed tests: any seed must do (tests/grader/test_tolerance.py checks
many for the tolerance); one fixed seed keeps the runs few and failures reproducible.
AUTOGRADER_TEST_SEED runs them with another seed."""


def mlp_tests(report) -> dict:
    """item name without `mlp.` -> TestResult."""
    return {t.name[4:]: t for t in report.tests if t.name.startswith("mlp.")}
