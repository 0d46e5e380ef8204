"""The run-time tripwire (grader/harness/tripwire.py): autograd the scan cannot read is seen
while the hidden cases call the student's code, in the real sandbox, and judged by policy."""

import json
import subprocess
import sys

import pytest

from grader_helpers import SEED, mlp_tests
from tests.support.paths import REPO_ROOT
from grader.integrity_policy import IntegrityPolicy
from grader.mlp.grade import grade_mlp
from grader.mlp.items import BACKWARD_ITEMS, ITEMS

HARNESS_DIR = REPO_ROOT / "grader" / "harness"
DEEP_EXPRESSION = "\n_unused = " + " + ".join(["1"] * 600) + "\n"


def _with(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, old
    return source.replace(old, new)


def _hidden_autograd(reference_source: str) -> str:
    """Each unit gets gradients from autograd through a name the scan cannot read."""
    source = _with(reference_source, "        self.grads['dJdb1'] = dJdz1.sum(dim=0)",
                   "        b1 = self.parameters['b1'].detach().requires_grad_()\n"
                   "        out = x @ self.parameters['W1'].T + b1\n"
                   "        getattr(out, 'back' + 'ward')(dJdz1)\n"
                   "        self.grads['dJdb1'] = b1.grad")
    source = _with(source, "    dJdy_hat = 2 * diff / diff.numel()",
                   "    leaf = y_hat.detach().requires_grad_()\n"
                   "    dJdy_hat, = getattr(torch, 'auto' + 'grad').grad(((leaf - y) ** 2).mean(), leaf)")
    return _with(source, "    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()",
                 "    leaf = y_hat.detach().requires_grad_()\n"
                 "    exec('(-(y * torch.log(leaf) + (1 - y) * torch.log(1 - leaf)).mean()).backward()',"
                 " {'leaf': leaf, 'y': y, 'torch': torch})\n"
                 "    dJdy_hat = leaf.grad")


@pytest.mark.slow
@pytest.mark.sandbox
def test_value_only_losses_shadowed_names_and_deep_code_get_full_marks(reference_source, grade_mlp_source):
    source = "from torch.func import grad\n" + reference_source + DEEP_EXPRESSION
    source = _with(source, "    J = (diff ** 2).mean()", "    J = torch.nn.MSELoss()(y_hat, y)")
    source = _with(source, "    J = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).mean()",
                   "    J = torch.nn.functional.binary_cross_entropy(y_hat, y)")
    report = grade_mlp_source(source)
    assert report.integrity == [] and report.status == "graded"
    assert all(t.status == "passed" for t in mlp_tests(report).values()), mlp_tests(report)
    assert report.score == report.max_score


@pytest.mark.slow
@pytest.mark.sandbox
def test_autograd_built_at_run_time_is_flagged_and_zeroes_its_items(reference_source, grade_mlp_source):
    report = grade_mlp_source(_hidden_autograd(reference_source))
    messages = sorted(flag.message for flag in report.integrity)
    assert [flag.code for flag in report.integrity] == ["uses_autograd_at_run_time"] * 3, messages
    assert "backward(): torch.Tensor.backward" in messages[0]
    assert "bce_loss(): torch.Tensor.backward" in messages[1]
    assert "mse_loss(): torch.autograd.grad" in messages[2]
    tests = mlp_tests(report)
    # autograd in a loss costs its gradient item; a J computed by hand keeps its points
    zeroed = {*BACKWARD_ITEMS, "mse_loss.backward", "bce_loss.backward"}
    for item in ITEMS:
        if item in zeroed:
            assert tests[item].score == 0 and "scored 0: autograd ran" in tests[item].output, item
        else:
            assert tests[item].status == "passed", tests[item]


@pytest.mark.slow
@pytest.mark.sandbox
def test_a_flag_only_policy_keeps_the_points(reference_source, assignment):
    flag_only = IntegrityPolicy.from_table({"flag": ["autograd_at_run_time"], "zero": "none"})
    grade = grade_mlp(_hidden_autograd(reference_source), assignment.mlp, SEED,
                      assignment.limits_for("mlp"), flag_only)
    assert len(grade.integrity) == 3
    assert all(t.status == "passed" for t in grade.tests), [t for t in grade.tests if t.status != "passed"]


PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
import tripwire
tripwire.install()
import functorch
import torch
import torch.autograd.functional as AF

def f(w):
    return (w * w).sum()

def leaf():
    return torch.arange(3.0).requires_grad_()

def grad_of(run):
    w = leaf()
    run(w)
    return w.grad.tolist()

attempts = {
    "getattr_backward": lambda: grad_of(lambda w: getattr(f(w), 'back' + 'ward')()),
    "getattr_autograd": lambda: (lambda w: getattr(torch, 'auto' + 'grad').grad(f(w), w)[0].tolist())(leaf()),
    "import": lambda: (lambda w: __import__('torch').autograd.grad(f(w), w)[0].tolist())(leaf()),
    "eval": lambda: eval("torch.autograd.grad(f(w), w)[0].tolist()", {"torch": torch, "f": f, "w": leaf()}),
    "autograd_backward": lambda: grad_of(lambda w: torch.autograd.backward([f(w)])),
    "engine": lambda: grad_of(lambda w: torch.autograd.variable.Variable._execution_engine.run_backward(
        (f(w),), (torch.tensor(1.0),), False, False, (), False, True)),
    "func_grad": lambda: torch.func.grad(f)(torch.arange(3.0)).tolist(),
    "func_jacrev": lambda: torch.func.jacrev(f)(torch.arange(3.0)).tolist(),
    "func_jacfwd": lambda: torch.func.jacfwd(f)(torch.arange(3.0)).tolist(),
    "functorch_grad": lambda: functorch.grad(f)(torch.arange(3.0)).tolist(),
    "functional_jacobian": lambda: AF.jacobian(f, torch.arange(3.0)).tolist(),
    "forward_value_only": lambda: [torch.nn.functional.mse_loss(torch.arange(3.0), torch.zeros(3)).item()],
    "graph_built_never_used": lambda: [float(f(leaf()))],
    "vmap": lambda: torch.vmap(lambda x: x * 2)(torch.arange(3.0)).tolist(),
}
results = {}
for name, attempt in attempts.items():
    stage = {"call": "backward()"}
    with tripwire.armed(stage):
        value = attempt()
    results[name] = {"notes": tripwire.take(), "value": value}
disarmed = grad_of(lambda w: f(w).backward())
results["disarmed"] = {"notes": tripwire.take(), "value": disarmed}
print(json.dumps(results))
"""


def test_the_tripwire_sees_every_spelling_and_changes_no_value():
    """In a process of its own (install() patches torch): each way in is noted by the name
    the student called, values are what torch computes, and plain torch use notes nothing."""
    completed = subprocess.run([sys.executable, "-c", PROBE, str(HARNESS_DIR)], capture_output=True,
                               text=True, timeout=300, check=True)
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    first = {name: result["notes"][0][0] if result["notes"] else None for name, result in results.items()}
    assert first == {
        "getattr_backward": "torch.Tensor.backward", "getattr_autograd": "torch.autograd.grad",
        "import": "torch.autograd.grad", "eval": "torch.autograd.grad",
        "autograd_backward": "torch.autograd.backward",
        "engine": "Variable._execution_engine.run_backward",
        "func_grad": "torch.func.grad", "func_jacrev": "torch.func.jacrev",
        "func_jacfwd": "torch.func.jacfwd", "functorch_grad": "torch.autograd.grad",
        "functional_jacobian": "torch.autograd.functional.jacobian",
        "forward_value_only": None, "graph_built_never_used": None, "vmap": None, "disarmed": None,
    }
    assert all(note[1] == "backward()" for result in results.values() for note in result["notes"])
    # f = sum(w^2) at w = (0, 1, 2): the gradient 2w, whichever way it was asked for.
    for name in ("getattr_backward", "getattr_autograd", "import", "eval", "autograd_backward", "engine",
                 "func_grad", "func_jacrev", "func_jacfwd", "functorch_grad", "functional_jacobian",
                 "disarmed"):
        assert results[name]["value"] == [0.0, 2.0, 4.0], (name, results[name])
    # Only the outermost entry of a chain: Tensor.backward, not also the engine under it.
    assert results["getattr_backward"]["notes"] == [["torch.Tensor.backward", "backward()"]]



@pytest.mark.slow
@pytest.mark.sandbox
def test_autograd_in_one_derivative_zeroes_that_layer_only(reference_source, grade_mlp_source):
    """The source shows autograd in a helper every backward() calls; the tripwire shows it
    ran only where sigmoid's derivative was taken: linear's, ReLU's and identity's hand-made
    gradients keep their points (relu's f = relu, g = sigmoid cases are sigmoid's doing)."""
    source = _with(reference_source, "        s = 1 / (1 + torch.exp(-z))\n        return s * (1 - s)",
                   "        leaf = z.detach().requires_grad_()\n"
                   "        torch.sigmoid(leaf).sum().backward()\n"
                   "        return leaf.grad")
    tests = mlp_tests(grade_mlp_source(source))
    assert tests["sigmoid.backward"].score == 0 and "scored 0" in tests["sigmoid.backward"].output
    for item in ITEMS:
        if item != "sigmoid.backward":
            assert tests[item].status == "passed" and tests[item].score == tests[item].max_score, tests[item]
