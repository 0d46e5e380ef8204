"""gd.py graded end to end: real submissions run in the real sandbox on the shipped classifier.

Each bug variant is the reference with one realistic mistake, made by replacing one piece of
its text (the helper fails if that text is gone, so a variant can never silently equal the
reference). Each takes one sandbox run of ~4-7 s (imports of torch, torchvision and cv2
dominate), hence the markers.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from grader import grade
from grader.gd import grade_gd
from grader.gd.config import CHECKS
from tests.support.paths import REPO_ROOT


pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

SEED = 31
REFERENCE = (REPO_ROOT / "reference" / "gd.py").read_text()
HANDOUT = (REPO_ROOT / "reference" / "handout" / "gd.py").read_text()


def variant(*edits: tuple[str, str]) -> str:
    """The reference with each (old, new) replacement applied; each old text must be there."""
    source = REFERENCE
    for old, new in edits:
        assert source.count(old) == 1, f"the reference no longer contains {old!r}"
        source = source.replace(old, new)
    return source


def run(source: str | None, assignment, seed: int = SEED, limits=None, **gd_overrides):
    config = replace(assignment.gd, **gd_overrides)
    return grade_gd(source, config, seed, limits or assignment.limits_for("gd"))


def by_name(file_grade) -> dict:
    return {test.name.removeprefix("gd."): test for test in file_grade.tests}


def test_reference_scores_full_marks_with_a_picture(assignment):
    grade_ = run(REFERENCE, assignment)
    tests = by_name(grade_)
    assert set(tests) == set(CHECKS)
    for test in tests.values():
        assert test.status == "passed", (test.name, test.output)
        assert test.score == test.max_score > 0
    assert re.search(r"rose from 0\.\d\d to 1\.000$", tests["target_probability"].output)
    assert re.search(r"returned a Tensor .* in \d+\.\d+ s \(limit 60 s\)", tests["target_probability"].staff_output)
    assert [a.name for a in grade_.artifacts] == ["gd.png"]
    assert grade_.artifacts[0].data.startswith(b"\x89PNG\r\n\x1a\n")


def test_reference_passes_on_other_seeds(assignment):
    # Other labels and start images; the thresholds must not depend on a lucky draw.
    for seed in (1, 2, 3):
        tests = by_name(run(REFERENCE, assignment, seed=seed))
        assert all(t.status == "passed" for t in tests.values()), (seed, tests)


def test_same_seed_same_grade_and_picture(assignment):
    first, second = run(REFERENCE, assignment, seed=5), run(REFERENCE, assignment, seed=5)
    strip = lambda g: [replace(t, staff_output="") for t in g.tests]  # noqa: E731 - staff has timings
    assert strip(first) == strip(second)
    assert first.artifacts[0].data == second.artifacts[0].data


def test_unmodified_handout_scores_zero_and_says_why(assignment):
    tests = by_name(run(HANDOUT, assignment))
    for test in tests.values():
        assert test.score == 0 and test.status == "error"
        assert "returned None" in test.output and "pass" in test.output


def test_not_submitted_is_skipped(assignment):
    tests = by_name(run(None, assignment))
    assert {t.status for t in tests.values()} == {"skipped"}
    assert all(t.score == 0 and t.output == "gd.py was not submitted" for t in tests.values())


def test_descent_instead_of_ascent_fails_the_probability_only(assignment):
    tests = by_name(run(variant(("(-objective).backward()", "objective.backward()")), assignment))
    assert tests["target_probability"].status == "failed"
    assert tests["target_probability"].score == 0
    assert "descending instead of ascending" in tests["target_probability"].output
    for name in ("shape_and_range", "model_unchanged", "finite"):
        assert tests[name].status == "passed", (name, tests[name].output)


def test_missing_clamp_fails_shape_and_range_only(assignment):
    tests = by_name(run(variant(("input.clamp_(0, 1)", "pass")), assignment))
    assert tests["shape_and_range"].status == "failed"
    assert "must stay within [0, 1]" in tests["shape_and_range"].output
    for name in ("target_probability", "model_unchanged", "finite"):
        assert tests[name].status == "passed", (name, tests[name].output)


def test_optimising_the_weights_too_fails_model_unchanged(assignment):
    source = variant(("torch.optim.Adam([input], lr=0.03)",
                      "torch.optim.Adam([input, *model.parameters()], lr=0.03)"))
    tests = by_name(run(source, assignment))
    assert tests["model_unchanged"].status == "failed"
    assert "changed the model's weights" in tests["model_unchanged"].output
    for name in ("shape_and_range", "finite"):
        assert tests[name].status == "passed", (name, tests[name].output)


def test_calling_model_train_costs_model_unchanged_only(assignment):
    # One mistake, one deduction: the harness keeps the classifier in eval mode, notes the
    # call, and the ascent is judged as it would have run.
    source = variant(("    optimizer = torch.optim.Adam([input], lr=0.03)\n",
                      "    model.train()\n    optimizer = torch.optim.Adam([input], lr=0.03)\n"))
    tests = by_name(run(source, assignment))
    assert tests["model_unchanged"].status == "failed"
    assert "called model.train()" in tests["model_unchanged"].output
    assert "eval mode" in tests["model_unchanged"].output
    for name in ("target_probability", "shape_and_range", "finite"):
        assert tests[name].status == "passed", (name, tests[name].output)


def test_train_mode_set_without_train_fails_model_unchanged_and_names_the_statistics(assignment):
    # Flipping the flag by hand goes around the harness: the BatchNorm statistics then move.
    source = variant(("    optimizer = torch.optim.Adam([input], lr=0.03)\n",
                      "    for layer in model.modules():\n        layer.training = True\n"
                      "    optimizer = torch.optim.Adam([input], lr=0.03)\n"))
    tests = by_name(run(source, assignment))
    assert tests["model_unchanged"].status == "failed"
    assert "running_mean" in tests["model_unchanged"].output
    assert "eval mode" in tests["model_unchanged"].output
    # The probability is dragged down with it, and its feedback names the cause.
    assert "see gd.model_unchanged" in tests["target_probability"].output
    for name in ("shape_and_range", "finite"):
        assert tests[name].status == "passed", (name, tests[name].output)


def test_nan_from_normalising_a_zeroed_gradient_fails_finite(assignment):
    # Zeroing the gradient before using it, then normalising it: 0 / 0 = NaN in every pixel.
    source = variant(("        optimizer.step()\n",
                      "        input.grad.zero_()\n"
                      "        input.grad /= input.grad.norm()\n"
                      "        optimizer.step()\n"))
    tests = by_name(run(source, assignment))
    assert tests["finite"].status == "failed"
    assert "NaN" in tests["finite"].output
    assert tests["target_probability"].status == "failed"
    assert tests["model_unchanged"].status == "passed"


def test_wrong_shape_is_an_error_of_the_shape_only(assignment):
    tests = by_name(run(variant(("return input.detach()", "return input.detach()[0]")), assignment))
    assert tests["shape_and_range"].status == "error"
    assert tests["shape_and_range"].score == 0
    assert "shape (3, 224, 224)" in tests["shape_and_range"].output
    # One mistake, one deduction: the image is judged without its batch dimension.
    assert tests["target_probability"].status == "passed"
    assert "read as shape (1, 3, 224, 224)" in tests["target_probability"].output


def test_an_exception_shows_the_students_lines_only(assignment):
    source = variant(("        optimizer.step()\n",
                      "        optimizer.step()\n        raise ValueError('my bug')\n"))
    tests = by_name(run(source, assignment))
    output = tests["target_probability"].output
    assert tests["target_probability"].status == "error"
    assert "ValueError: my bug" in output and 'File "gd.py"' in output
    assert "gd_harness" not in output and "/harness" not in output
    assert "traceback is under gd.target_probability" in tests["finite"].output


def test_a_slow_call_times_out_with_the_call_limit(assignment):
    source = variant(("        optimizer.step()\n",
                      "        optimizer.step()\n        __import__('time').sleep(0.1)\n"))
    tests = by_name(run(source, assignment, call_time_s=1.0))
    assert {t.status for t in tests.values()} == {"error"}
    assert "did not finish within 1 s" in tests["target_probability"].output


def test_hitting_the_sandbox_wall_time_is_an_error_with_its_message(assignment):
    source = variant(("def gradient_descent(input, model, loss, iterations=256):\n",
                      "def gradient_descent(input, model, loss, iterations=256):\n"
                      "    __import__('time').sleep(600)\n"))
    limits = replace(assignment.limits_for("gd"), wall_time_s=8.0)
    tests = by_name(run(source, assignment, limits=limits))
    assert {t.status for t in tests.values()} == {"error"}
    assert all(t.score == 0 for t in tests.values())
    assert "8 s" in tests["finite"].output, tests["finite"].output


def test_exiting_inside_gradient_descent_is_reported(assignment):
    source = variant(("    optimizer = torch.optim.Adam([input], lr=0.03)\n",
                      "    __import__('os')._exit(0)\n"))
    tests = by_name(run(source, assignment))
    assert {t.status for t in tests.values()} == {"error"}
    assert "exited while gradient_descent was running" in tests["finite"].output


def test_a_syntax_error_is_an_error_with_the_line(assignment):
    source = variant(("def gradient_descent(input, model, loss, iterations=256):",
                      "def gradient_descent(input, model, loss, iterations=256)"))
    file_grade = run(source, assignment)
    tests = by_name(file_grade)
    assert {t.status for t in tests.values()} == {"error"}
    assert "syntax error on line" in tests["target_probability"].output
    assert file_grade.errors


def test_through_the_engine(assignment):
    report = grade({"gd.py": REFERENCE.encode()}, "hw1", seed=SEED)
    gd_tests = [t for t in report.tests if t.name.startswith("gd.")]
    assert report.status == "graded"
    assert sorted(t.name for t in gd_tests) == sorted(f"gd.{c}" for c in CHECKS)
    assert all(t.status == "passed" for t in gd_tests)
    assert any(a.name == "gd.png" for a in report.artifacts)
    assert all(t.status == "skipped" for t in report.tests if t.name.startswith("mlp."))
