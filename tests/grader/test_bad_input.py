"""Bad submissions get a clear message, never a grader traceback; the grader's own faults
are never a student's zero."""

import dataclasses
import json
import re
import os
import subprocess

import pytest

from grader_helpers import SEED, mlp_tests
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from grader import grade, grade_submission
from grader.mlp.grade import grade_mlp
from variants import apply

HARNESS_WORDS = ("mlp_harness", "common.py", "/harness", "grader/")


def _no_grader_internals(text):
    assert not any(word in text for word in HARNESS_WORDS), text


@pytest.mark.parametrize("data, phrase", [
    (b"", "mlp.py is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "not a text file"),
    ("w = 'café'\n".encode("latin-1"), "not UTF-8"),
])
def test_unusable_files_give_an_error_report_without_running(data, phrase):
    grading = grade_submission({"mlp.py": data}, seed=1)
    report = grading.report
    assert report.status == "error" and report.score == 0 and phrase in report.errors[0]
    assert grading.unusable and not grading.internal_fault
    assert all(t.status == "error" and phrase in t.output for t in mlp_tests(report).values())


def test_unusable_file_exits_2_from_the_cli(tmp_path):
    (tmp_path / "mlp.py").write_bytes(b"\x00\x01")
    result = subprocess.run([*AUTOGRADER_COMMAND, "grade", "--mlp", str(tmp_path / "mlp.py")],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "not a text file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_file_and_no_file_exit_2():
    for args in (["--mlp", "/nonexistent/mlp.py"], []):
        result = subprocess.run([*AUTOGRADER_COMMAND, "grade", *args], cwd=REPO_ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr


def test_syntax_error_shows_the_students_line(reference_source):
    source = apply(reference_source, [("    def backward(self, dJdy_hat):", "    def backward(self, dJdy_hat)")])
    report = grade({"mlp.py": source.encode()}, seed=1)
    message = mlp_tests(report)["relu.backward"].output
    assert "syntax error on line" in message and "def backward(self, dJdy_hat)" in message
    assert report.errors == [message]


@pytest.mark.slow
@pytest.mark.sandbox
@pytest.mark.parametrize("prefix, phrase", [
    ("import torchvisionn\n", "imports the module 'torchvisionn', which the grader does not have"),
    ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
    ("import sys\nsys.exit(3)\n", "raised SystemExit"),
])
def test_import_failures_are_explained(reference_source, grade_mlp_source, prefix, phrase):
    report = grade_mlp_source(prefix + reference_source)
    assert report.status == "graded" and report.score == 0
    assert len(report.errors) == 1 and phrase in report.errors[0], report.errors
    _no_grader_internals(report.errors[0])
    for test in mlp_tests(report).values():
        assert test.status == "error" and "mlp.py could not be imported" in test.output, test.output
        assert "likely cause" not in test.output


@pytest.mark.slow
@pytest.mark.sandbox
def test_missing_class_and_function(reference_source, grade_mlp_source):
    source = apply(reference_source, [("class MLP:", "class Net:"), ("def bce_loss(", "def bce(")])
    tests = mlp_tests(grade_mlp_source(source))
    assert "mlp.py defines no class `MLP`" in tests["linear.forward"].output
    assert "mlp.py defines no function `bce_loss`" in tests["bce_loss.backward"].output
    assert tests["mse_loss.forward"].status == tests["mse_loss.backward"].status == "passed"


@pytest.mark.slow
@pytest.mark.sandbox
def test_exception_in_forward_shows_only_the_students_traceback(reference_source, grade_mlp_source):
    source = apply(reference_source, [
        ("        z2 = activation(self.f_function, z1)", "        z2 = activation(self.f_function, z1[:, 99])"),
        # an exception that tries to print the hidden inputs: decimals are masked
        ('    J = -(y * torch.log(y_hat)', '    raise ValueError(f"leak {y_hat.tolist()} {y_hat[0, 0].item():.3e}")\n'
                                          '    J = -(y * torch.log(y_hat)'),
    ])
    tests = mlp_tests(grade_mlp_source(source))
    output = tests["linear.forward"].output
    assert tests["linear.forward"].status == "error"
    assert "forward() raised an exception" in output and 'File "mlp.py", line' in output
    assert "z1[:, 99]" in output and "IndexError" in output
    _no_grader_internals(output)
    assert tests["mse_loss.forward"].status == "passed"
    # in backward cases too, the feedback names the call that raised: forward()
    assert "forward() raised an exception" in tests["linear.backward"].output
    assert "backward() raised" not in tests["linear.backward"].output
    leak = tests["bce_loss.forward"].output
    assert "ValueError: leak [[<number>" in leak and not re.search(r"\d\.\d", leak), leak


@pytest.mark.slow
@pytest.mark.sandbox
def test_wrong_types_shapes_and_nan(reference_source, grade_mlp_source):
    source = apply(reference_source, [
        ("        return y_hat\n", "        return y_hat.tolist()\n"),
        ("        self.grads['dJdb1'] = dJdz1.sum(dim=0)", "        self.grads['dJdb1'] = dJdz1.sum(dim=0, keepdim=True)"),
        ("    return J, dJdy_hat\n\n\ndef bce_loss", "    return J\n\n\ndef bce_loss"),
        ("    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()",
         "    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel() * float('nan')"),
        ("    J = -(y * torch.log(y_hat)", "    J = float('inf') * -(y * torch.log(y_hat)"),
    ])
    tests = mlp_tests(grade_mlp_source(source))
    assert "the output of forward() is a list of length" in tests["linear.forward"].output
    assert "grads['dJdb1'] has shape (1," in tests["linear.backward"].output
    assert "mse_loss must return a pair (J, dJdy_hat)" in tests["mse_loss.forward"].output
    assert "dJdy_hat contains NaN" in tests["bce_loss.backward"].output
    assert "J (the loss) contains inf" in tests["bce_loss.forward"].output
    # the activations' derivatives are right: judged on the student's own (keepdim) bias
    # gradient, whose mistake linear.backward carries
    backward_of_activations = {"relu.backward", "sigmoid.backward", "identity.backward"}
    assert all(t.status == "error" for item, t in tests.items() if item not in backward_of_activations)
    assert all(tests[item].status == "passed" for item in backward_of_activations)


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_hanging_case_costs_only_its_own_cases(reference_source, assignment):
    """Per-case timer: bce_loss hangs on 1x1 inputs only; everything else is graded."""
    source = apply(reference_source, [("    J = -(y * torch.log(y_hat)",
                                       "    while y.numel() == 1:\n        pass\n    J = -(y * torch.log(y_hat)")])
    grade_ = grade_mlp(source, dataclasses.replace(assignment.mlp, case_time_s=1.0), SEED, assignment.limits_for("mlp"))
    tests = {t.name[4:]: t for t in grade_.tests}
    for item in ("bce_loss.forward", "bce_loss.backward"):
        assert tests[item].status == "error" and "did not finish within 1 s" in tests[item].output
        assert 0 < tests[item].score < tests[item].max_score
    assert all(t.status == "passed" for i, t in tests.items() if not i.startswith("bce"))


@pytest.mark.slow
@pytest.mark.sandbox
def test_sandbox_limit_is_reported_with_its_message(reference_source, grade_mlp_source):
    report = grade_mlp_source("hog = bytearray(6 * 1024 ** 3)\n" + reference_source)
    tests = mlp_tests(report)
    assert all(t.status == "error" and "memory" in t.output for t in tests.values()), tests
    assert report.status == "graded" and report.score == 0


@pytest.mark.slow
@pytest.mark.sandbox
def test_autograd_in_backward_scores_those_items_zero(reference_source, grade_mlp_source):
    source = apply(reference_source, [(
        "        self.grads['dJdb1'] = dJdz1.sum(dim=0)",
        "        b1 = self.parameters['b1'].detach().requires_grad_()\n"
        "        (x @ self.parameters['W1'].T + b1).backward(dJdz1)\n"
        "        self.grads['dJdb1'] = b1.grad")])
    report = grade_mlp_source(source)
    tests = mlp_tests(report)
    assert {flag.code for flag in report.integrity} == {"uses_autograd"}  # one per line
    for item in ("linear.backward", "relu.backward", "sigmoid.backward"):
        assert tests[item].score == 0 and tests[item].status == "failed"
        assert "scored 0" in tests[item].output and "by hand" in tests[item].output
    assert tests["linear.forward"].status == "passed" and tests["mse_loss.backward"].status == "passed"


@pytest.mark.sandbox
def test_sandbox_failure_is_an_internal_error_not_a_zero(tmp_path):
    """Without bubblewrap on PATH the sandbox cannot start: exit 1, status error, no score."""
    env = dict(os.environ, PATH=str(tmp_path))
    result = subprocess.run([*AUTOGRADER_COMMAND, "grade", "--mlp", "reference/mlp.py",
                             "--json", "--seed", "1", "--artifacts", str(tmp_path)],
                            cwd=REPO_ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["status"] == "error" and report["tests"] == []
    assert "internal error" in report["errors"][0] and "not your fault" in report["errors"][0]
    assert "internal error" in result.stderr
