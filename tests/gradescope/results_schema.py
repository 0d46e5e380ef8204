"""results.json as Gradescope's specification describes it, written from the "Output format"
section of https://gradescope-autograders.readthedocs.io/en/latest/specs/ (read 2026-12-02):
the keys it lists at the top level and in each test, the visibility values of "Controlling
Test Case Visibility", the statuses of "Test case status" and the formats of "Output String
Formatting". A key it does not list is a problem: Gradescope would ignore it silently.
"""

from __future__ import annotations

from numbers import Real

TOP_LEVEL_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format",
                  "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
                  "leaderboard"}
TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output",
             "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
STATUSES = {"passed", "failed"}
FORMATS = {"text", "simple_format", "html", "md", "ansi"}


def _number(value) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def schema_problems(results: dict) -> list[str]:
    """Every way `results` departs from the specification (empty: it conforms)."""
    problems = [f"unknown top-level key {key!r}" for key in sorted(set(results) - TOP_LEVEL_KEYS)]
    tests = results.get("tests")
    if tests is not None and not isinstance(tests, list):
        problems.append("tests is not a list")
        tests = []
    tests = tests or []
    if "score" not in results and not (tests and all("score" in t for t in tests)):
        problems.append("no top-level score and not every test has one")
    for key in ("score", "execution_time"):
        if key in results and not _number(results[key]):
            problems.append(f"{key} is not a number: {results[key]!r}")
    for key in ("output",):
        if key in results and not isinstance(results[key], str):
            problems.append(f"{key} is not a string")
    for key in ("output_format", "test_output_format", "test_name_format"):
        if key in results and results[key] not in FORMATS:
            problems.append(f"{key} {results[key]!r} is not one of {sorted(FORMATS)}")
    for key in ("visibility", "stdout_visibility"):
        if key in results and results[key] not in VISIBILITIES:
            problems.append(f"{key} {results[key]!r} is not one of {sorted(VISIBILITIES)}")
    if "extra_data" in results and not isinstance(results["extra_data"], dict):
        problems.append("extra_data is not an object")
    for index, test in enumerate(tests):
        where = f"tests[{index}]"
        if not isinstance(test, dict):
            problems.append(f"{where} is not an object")
            continue
        problems += [f"{where}: unknown key {key!r}" for key in sorted(set(test) - TEST_KEYS)]
        for key in ("score", "max_score"):
            if key in test and not _number(test[key]):
                problems.append(f"{where}.{key} is not a number")
        for key in ("name", "output", "number"):
            if key in test and not isinstance(test[key], str):
                problems.append(f"{where}.{key} is not a string")
        if "status" in test and test["status"] not in STATUSES:
            problems.append(f"{where}.status {test['status']!r} is not passed or failed")
        for key in ("output_format", "name_format"):
            if key in test and test[key] not in FORMATS:
                problems.append(f"{where}.{key} {test[key]!r} is not a format")
        if "visibility" in test and test["visibility"] not in VISIBILITIES:
            problems.append(f"{where}.visibility {test['visibility']!r} is not a visibility")
        if "tags" in test and not (isinstance(test["tags"], list)
                                   and all(isinstance(tag, str) for tag in test["tags"])):
            problems.append(f"{where}.tags is not a list of strings")
        if "extra_data" in test and not isinstance(test["extra_data"], dict):
            problems.append(f"{where}.extra_data is not an object")
    return problems
