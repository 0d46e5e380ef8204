"""The grader against realistic submissions labelled by an oracle written apart from it.

tests/realistic/mlp/ and gd/ hold files written the way students write them (each says its
style and the items its author meant to be wrong in its first two lines). oracle/ labels every
item of every file from torch autograd (mlp.py) and from its own classifier (gd.py), importing
nothing from grader/ or app/; labels.json is its output (`python -m tests.realistic.oracle
--write`). Here: the stored labels are the oracle's and the authors' (fast), and the grader
gives full marks to every item labelled correct and takes points from every item labelled wrong
(slow, real sandbox).
"""

import json
import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from oracle import every_file, label_files
from oracle.gd_labels import CHECKS
from oracle.intent import intended_labels
from oracle.mlp_labels import ITEMS
from oracle.runner import kind_of

REALISTIC = Path(__file__).resolve().parent
LABELS = json.loads((REALISTIC / "labels.json").read_text())
# Any seed must do; one fixed seed keeps failures reproducible (AUTOGRADER_TEST_SEED overrides).
SEED = int(os.environ.get("AUTOGRADER_TEST_SEED", "20261202"))
# A cheap subset for re-running the oracle: a correct file, the 1/N-in-backward file (scale
# judged per item), hidden autograd (run-time tripwire) and a gd no-op.
ORACLE_SAMPLE = ("mlp/c02_bmm_jacobians.py", "mlp/b15_mean_in_backward.py",
                 "mlp/b13_hidden_autograd_losses.py", "gd/w02_noop.py")


def _items(name: str) -> tuple[str, ...]:
    return ITEMS if kind_of(name) == "mlp" else CHECKS


@pytest.fixture(scope="module")
def oracle_sample():
    return {r.name: r.labels for r in label_files(list(ORACLE_SAMPLE))}


@pytest.mark.parametrize("name", ORACLE_SAMPLE)
def test_the_oracle_still_gives_the_stored_labels(oracle_sample, name):
    assert oracle_sample[name] == LABELS[name]


def test_every_file_is_labelled_as_its_author_meant():
    assert sorted(LABELS) == every_file(), "labels.json is stale: run python -m tests.realistic.oracle --write"
    for name in every_file():
        assert LABELS[name] == intended_labels(REALISTIC / name, _items(name)), name


def _grade(name: str) -> dict:
    """item -> TestResult of the grader's report for one file."""
    from grader import grade

    source = (REALISTIC / name).read_bytes()
    report = grade({"mlp.py" if kind_of(name) == "mlp" else "gd.py": source}, seed=SEED)
    return {test.name: test for test in report.tests}


@pytest.fixture(scope="session")
def mlp_grades():
    """Every mlp file graded once, two at a time (about 1-3 s each)."""
    names = [n for n in every_file() if kind_of(n) == "mlp"]
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(names, pool.map(_grade, names)))


@cache
def _gd_grade(name: str) -> dict:
    return _grade(name)


def _check(grades: dict, name: str, item: str):
    label = LABELS[name][item]
    result = grades.get(item)
    assert result is not None, f"{name}: the report has no {item} (oracle says {label})"
    seen = f"{name} {item}: oracle says {label}; grader {result.status} " \
           f"{result.score:g}/{result.max_score:g}: {result.output}"
    if label == "correct":
        assert result.score == result.max_score, seen
    else:
        assert result.score < result.max_score, seen


MLP_CASES = [(n, i) for n in every_file() if kind_of(n) == "mlp" for i in ITEMS]
GD_CASES = [(n, c) for n in every_file() if kind_of(n) == "gd" for c in CHECKS]


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize(("name", "item"), MLP_CASES, ids=[f"{n}:{i}" for n, i in MLP_CASES])
def test_the_grader_holds_to_the_mlp_labels(mlp_grades, name, item):
    _check(mlp_grades[name], name, item)


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize(("name", "check"), GD_CASES,
                         ids=[f"{n}:{c}" for n in every_file() if kind_of(n) == "gd" for c in CHECKS])
def test_the_grader_holds_to_the_gd_labels(name, check):
    _check(_gd_grade(name), name, check)
