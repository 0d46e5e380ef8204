"""results.json from a report, and the [gradescope] table that sets what students see:
pure functions of the grader's records, no sandbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from grader.assignment import load_assignment
from grader.errors import AssignmentError
from grader.gradescope.bundle import check_test_names
from grader.gradescope.results import build_results, fenced, png_size
from grader.gradescope.run import stdout_summary
from grader.gradescope.settings import GradescopeSettings
from grader.report import Artifact, IntegrityFlag, Report
from grader.report import TestResult as Item

from results_schema import schema_problems


def _report() -> Report:
    return Report(
        status="graded", score=9.5, max_score=20.0, seed=7, grader_version="0.3.0",
        tests=[Item(name="mlp.relu.forward", layer="relu", direction="forward", score=5.0,
                          max_score=5.0, status="passed", output="all 6 cases passed",
                          staff_output="case relu.forward#2 batch=3"),
               Item(name="gd.target_probability", layer="gd", direction="target_probability",
                          score=4.5, max_score=12.0, status="failed",
                          output="class 3: the probability rose from 0.1 to 0.4"),
               Item(name="gd.finite", layer="gd", direction="finite", score=0.0,
                          max_score=3.0, status="error", visibility="hidden",
                          output="raised ValueError")],
        integrity=[IntegrityFlag(code="uses_autograd", message="line 3: ```x.backward()```")],
        artifacts=[Artifact(name="gd.png", media_type="image/png",
                            data=bytes.fromhex("89504e470d0a1a0a0000000d49484452000001c800000108"))])


def test_visibility_comes_from_the_assignment_file():
    settings = GradescopeSettings.from_table(
        {"visibility": "visible", "tests": {"gd.target_probability": "after_due_date"}})
    results = build_results(_report(), settings, "bubblewrap sandbox", 12.4).to_dict()
    assert schema_problems(results) == []
    visibility = {t["name"]: t["visibility"] for t in results["tests"]}
    # Hidden in the report stays hidden whatever the table says; the rest as the table says.
    assert visibility == {"mlp.relu.forward": "visible", "gd.target_probability": "after_due_date",
                          "gd.finite": "hidden"}
    assert [t["status"] for t in results["tests"]] == ["passed", "failed", "failed"]
    assert results["tests"][2]["extra_data"] == {"status": "error"}
    assert results["execution_time"] == 12
    # The total would tell what the hidden tests scored: Gradescope hides it, so do we; and
    # the probability item's text is not repeated where the picture is described.
    assert "Total" not in results["output"] and "rose from" not in results["output"]
    assert "gd.png, 456 x 264 pixels" in results["output"]
    assert "staff" not in str(results) and "relu.forward#2" not in str(results)


def test_stdout_shows_only_what_students_may_see_now():
    # A course may make stdout visible; hidden and after-due-date tests stay out of it, and
    # so does the total, which would tell their score.
    settings = GradescopeSettings.from_table(
        {"stdout_visibility": "visible", "tests": {"gd.target_probability": "after_due_date"}})
    results = build_results(_report(), settings, "x", 1.0)
    printed = stdout_summary(results, seed=7)
    assert "mlp.relu.forward" in printed
    assert "gd.target_probability" not in printed and "gd.finite" not in printed
    assert "total" not in printed and "2 tests not shown here" in printed
    everything = build_results(replace(_report(), tests=_report().tests[:2]),
                               GradescopeSettings(), "x", 1.0)
    assert "total 9.5" in stdout_summary(everything, seed=7)


def test_notes_naming_the_students_files_are_fenced():
    report = _report()
    report.notes = ["gd.py not found (it holds: [Regrade here](https://phish.example).py)"]
    output = build_results(report, GradescopeSettings(), "x", 1.0).output
    assert "Note:\n\n```\ngd.py not found (it holds: [Regrade here]" in output


def test_student_text_is_fenced_in_the_markdown_output():
    results = build_results(_report(), GradescopeSettings(), "x", 1.0).to_dict()
    assert "````\nline 3: ```x.backward()```\n````" in results["output"]
    assert fenced("a `b`") == "```\na `b`\n```"
    assert png_size(b"GIF89a" + bytes(30)) is None


@pytest.mark.parametrize("table, words", [
    ({"visibility": "public"}, "[gradescope] visibility = 'public': use one of"),
    ({"tests": {"gd.finite": "later"}}, "tests.'gd.finite' = 'later'"),
    ({"stdout": "visible"}, "unknown keys in [gradescope]: ['stdout']"),
])
def test_a_bad_gradescope_table_is_refused(table, words):
    with pytest.raises(AssignmentError) as error:
        GradescopeSettings.from_table(table)
    assert words in str(error.value)


def test_a_misspelt_item_is_refused_at_export():
    spec = load_assignment("hw1")
    check_test_names(GradescopeSettings.from_table(spec.gradescope), spec)
    with pytest.raises(AssignmentError, match="names no such item: gd.target_probabilty"):
        check_test_names(GradescopeSettings(tests={"gd.target_probabilty": "hidden"}), spec)
