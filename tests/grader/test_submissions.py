"""Whole submissions through the sandbox: the reference, the handout skeleton, other correct
forms (float64, numpy, Python floats, accumulated grads) and a bug only batch size 1 shows."""

import json
import subprocess

import pytest

from grader_helpers import mlp_tests
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from grader.mlp.items import ITEMS
from variants import apply

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


def _autograder(*args, env=None):
    return subprocess.run([*AUTOGRADER_COMMAND, "grade", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, env=env, timeout=300)


def test_reference_scores_full_marks_through_the_cli_reproducibly(tmp_path):
    runs = [_autograder("--mlp", "reference/mlp.py", "--seed", "4242", "--json",
                        "--artifacts", str(tmp_path)) for _ in range(2)]
    assert [r.returncode for r in runs] == [0, 0], runs[0].stderr
    assert runs[0].stdout == runs[1].stdout
    report = json.loads(runs[0].stdout)
    mlp = [t for t in report["tests"] if t["name"].startswith("mlp.")]
    assert len(mlp) == len(ITEMS) and all(t["status"] == "passed" and t["score"] == t["max_score"] for t in mlp)
    assert report["seed"] == 4242 and report["status"] == "graded"
    assert all(t["status"] == "skipped" for t in report["tests"] if t["name"].startswith("gd."))
    # gd.py was not submitted, so it is out of this grade: a correct mlp.py alone is 100%.
    assert report["score"] == report["max_score"] == sum(t["max_score"] for t in mlp)


def test_the_table_names_every_item(tmp_path):
    result = _autograder("--mlp", "reference/handout/mlp.py", "--seed", "1", "--artifacts", str(tmp_path))
    assert result.returncode == 0
    for item in ("linear", "relu", "sigmoid", "mse_loss", "bce_loss"):
        assert f"mlp.{item}.forward" in result.stdout and f"mlp.{item}.backward" in result.stdout
    assert "total 0/" in result.stdout


def test_handout_skeleton_scores_zero_with_clear_messages(handout_source, grade_mlp_source):
    report = grade_mlp_source(handout_source)
    tests = mlp_tests(report)
    assert report.status == "graded" and report.score == 0
    assert all(t.score == 0 and t.status != "passed" for t in tests.values())
    assert "the output of forward() is None" in tests["linear.forward"].output
    assert "is all zeros" in tests["linear.backward"].output
    assert "must return a pair (J, dJdy_hat); it returned None" in tests["mse_loss.forward"].output
    assert "fix linear.forward first" in tests["linear.backward"].output


def test_float64_submission_passes(reference_source, grade_mlp_source):
    source = apply(reference_source, [
        ("        self.parameters = dict(", "        torch.set_default_dtype(torch.float64)\n"
                                            "        self.parameters = dict("),
        ("        W1, b1 = self.parameters['W1']", "        x = x.double()\n"
                                                  "        W1, b1 = self.parameters['W1']"),
        ("        x, z1, z2, z3 = (self.cache[k]", "        dJdy_hat = dJdy_hat.double()\n"
                                                   "        x, z1, z2, z3 = (self.cache[k]"),
        ("    diff = y_hat - y\n", "    diff = y_hat.double() - y.double()\n"),
        ("    J = -(y * torch.log(y_hat)", "    y, y_hat = y.double(), y_hat.double()\n"
                                           "    J = -(y * torch.log(y_hat)"),
    ])
    report = grade_mlp_source(source)
    assert all(t.status == "passed" for t in mlp_tests(report).values()), report.tests


def test_other_correct_forms_pass(reference_source, grade_mlp_source):
    """J as a Python float or numpy scalar, numpy arrays, grads accumulated after clearing."""
    source = "import numpy as np\n" + apply(reference_source, [
        ("        return y_hat\n", "        return y_hat.numpy()\n"),
        ("        self.grads['dJdW1'] = dJdz1.T @ x", "        self.grads['dJdW1'] += dJdz1.T @ x"),
        ("        self.grads['dJdb2'] = dJdz3.sum(dim=0)", "        self.grads['dJdb2'] += dJdz3.sum(dim=0)"),
        ("    J = (diff ** 2).mean()\n", "    J = (diff ** 2).mean().item()\n"),
        ("    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()\n    return J, dJdy_hat",
         "    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()\n"
         "    return np.float64(J.item()), dJdy_hat.numpy()"),
    ])
    report = grade_mlp_source(source)
    assert all(t.status == "passed" for t in mlp_tests(report).values()), report.tests


def test_a_bug_only_batch_size_1_shows(reference_source, grade_mlp_source):
    """The output transposed when the batch has one row: (K, 1) where (1, K) is expected.
    (A `.squeeze(0)` there would pass: a (K,) output broadcasts to (1, K) in use.)"""
    source = apply(reference_source, [("        return y_hat\n",
                                       "        return y_hat if x.shape[0] > 1 else y_hat.T\n")])
    tests = mlp_tests(grade_mlp_source(source))
    linear = tests["linear.forward"]
    assert linear.status == "error" and 0 < linear.score < linear.max_score
    assert "has shape" in linear.output and "expected shape (1," in linear.output
    backward_and_losses = [t for item, t in tests.items() if not item.endswith("forward")
                           or item.startswith(("mse", "bce"))]
    assert all(t.status == "passed" for t in backward_and_losses)
