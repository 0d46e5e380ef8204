"""Autograd in mlp.py is found by reading the source, attributed to the items it serves, and
judged by the assignment's [integrity] policy."""

import shutil

import pytest

from grader.assignment import HIDDEN_TESTS_DIR, load_assignment
from grader.errors import AssignmentError
from grader.integrity import flag_autograd, scan
from grader.integrity_policy import IntegrityPolicy, Rule, ZeroScope
from grader.mlp.items import BACKWARD_ITEMS, ITEMS, LOSS_ITEMS

BACKWARD = set(BACKWARD_ITEMS)
MSE = set(LOSS_ITEMS["mse_loss"])
BCE = set(LOSS_ITEMS["bce_loss"])
# Autograd inside a loss taints its gradient, not a J computed by hand.
MSE_GRADIENT, BCE_GRADIENT = {"mse_loss.backward"}, {"bce_loss.backward"}
EVERY_RULE = IntegrityPolicy(flag=frozenset(Rule), zero=ZeroScope.FUNCTION)
# 600 terms nest 600 BinOps: a recursive ast.NodeVisitor raised RecursionError on it.
DEEP_EXPRESSION = "\n_unused = " + " + ".join(["1"] * 600) + "\n"


@pytest.fixture(scope="module")
def hw1(assignment) -> IntegrityPolicy:
    return assignment.integrity


def _with(reference_source, old, new):
    assert reference_source.count(old) == 1
    return reference_source.replace(old, new)


def _in_backward(reference_source, body):
    return _with(reference_source, "        x, z1, z2, z3 = (self.cache[k]",
                 body + "        x, z1, z2, z3 = (self.cache[k]")


def test_reference_is_clean(reference_source, handout_source, hw1):
    for policy in (hw1, EVERY_RULE):
        assert flag_autograd(reference_source, policy) == ([], {})
        assert flag_autograd(handout_source, policy) == ([], {})


@pytest.mark.parametrize("body", [
    "        y_hat = self.cache['y_hat']; y_hat.backward(dJdy_hat)\n",
    "        gW1, = torch.autograd.grad(self.cache['z1'].sum(), self.parameters['W1'])\n",
    "        gW1, = getattr(torch, 'autograd').grad(self.cache['z1'].sum(), self.parameters['W1'])\n",
    "        getattr(self.cache['z1'], 'backward')(dJdy_hat)\n",
    "        J = torch.func.grad(lambda w: (w * w).sum())(self.parameters['W1'])\n",
    "        J = torch.autograd.functional.jacobian(torch.sigmoid, self.cache['z1'])\n",
])
def test_autograd_in_a_method_zeroes_the_backward_items(reference_source, hw1, body):
    flags, zeroed = flag_autograd(_in_backward(reference_source, body), hw1)
    assert [f.code for f in flags] == ["uses_autograd"]
    assert "MLP.backward" in flags[0].message and "line" in flags[0].message
    assert set(zeroed) == BACKWARD


@pytest.mark.parametrize("body", [
    "        self.parameters['W1'].requires_grad_(True)\n",
    "        self.parameters['W1'].requires_grad = True\n",
    "        extra = torch.zeros(3, requires_grad=True)\n",
])
def test_requires_grad_alone_is_flagged_only_by_a_policy_that_asks(reference_source, hw1, body):
    """No gradient comes from requires_grad alone: hw1 does not flag it; the rule exists."""
    source = _in_backward(reference_source, body)
    assert flag_autograd(source, hw1) == ([], {})
    flags, zeroed = flag_autograd(source, EVERY_RULE)
    assert len(flags) == 1 and "requires_grad" in flags[0].message and set(zeroed) == BACKWARD


@pytest.mark.parametrize("loss_line", [
    "    J = torch.nn.functional.mse_loss(y_hat, y)\n",
    "    J = torch.nn.MSELoss()(y_hat, y)\n",
    "    J = F.mse_loss(y_hat, y)\n",
])
def test_torch_loss_for_the_value_only_is_allowed(reference_source, hw1, loss_line):
    source = "import torch.nn.functional as F\n" + _with(
        reference_source, "    J = (diff ** 2).mean()\n", loss_line)
    assert flag_autograd(source, hw1) == ([], {})
    flags, zeroed = flag_autograd(source, EVERY_RULE)  # a course may still forbid it
    assert [f.code for f in flags] == ["uses_torch_loss"] and set(zeroed) == MSE


def test_helpers_are_followed_to_the_loss_that_calls_them(reference_source, hw1):
    source = _with(reference_source, "    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()",
                   "    dJdy_hat = _grad_of(y, y_hat)") + (
        "\n\ndef _grad_of(y, y_hat):\n"
        "    y_hat = y_hat.detach().requires_grad_()\n"
        "    torch.nn.functional.binary_cross_entropy(y_hat, y).backward()\n"
        "    return y_hat.grad\n")
    flags, zeroed = flag_autograd(source, hw1)
    assert len(flags) == 1 and "_grad_of" in flags[0].message and set(zeroed) == BCE_GRADIENT


def test_a_dict_of_functions_and_a_helper_class_are_followed(reference_source, hw1):
    source = _with(reference_source, "activation_derivative(self.g_function, z3)",
                   "DERIVATIVE[self.g_function](z3)") + (
        "\n\nimport torch.func as tf\n\n\n"
        "def sigmoid_derivative(z):\n"
        "    return tf.vmap(tf.grad(lambda t: torch.sigmoid(t)))(z.flatten()).view_as(z)\n\n\n"
        "DERIVATIVE = {'sigmoid': sigmoid_derivative}\n")
    flags, zeroed = flag_autograd(source, hw1)
    assert len(flags) == 1 and "sigmoid_derivative" in flags[0].message and set(zeroed) == BACKWARD


def test_test_code_under_main_guard_is_not_flagged(reference_source, hw1):
    source = reference_source + (
        "\n\nif __name__ == '__main__':\n"
        "    import torch.nn.functional as F\n"
        "    y_hat = torch.randn(3, requires_grad=True)\n"
        "    F.mse_loss(y_hat, torch.zeros(3)).backward()\n")
    assert flag_autograd(source, EVERY_RULE) == ([], {})


def test_calling_the_models_own_backward_is_not_autograd(reference_source, hw1):
    source = reference_source + (
        "\n\ndef train_step(net, x, y):\n"
        "    J, d = mse_loss(y, net.forward(x))\n"
        "    net.backward(d)\n"
        "    return J\n")
    assert flag_autograd(source, hw1) == ([], {})


def test_students_own_layer_classes_with_backward_are_not_autograd(reference_source, hw1):
    source = reference_source + (
        "\n\nclass Linear:\n"
        "    def backward(self, d):\n"
        "        return d\n\n\n"
        "def chain(layers, d):\n"
        "    for layer in layers:\n"
        "        d = layer.backward(d)\n"
        "    return d\n")
    source = source.replace("        dJdz2 = dJdz3 @ W2\n", "        dJdz2 = chain([Linear()], dJdz3) @ W2\n")
    assert flag_autograd(source, hw1) == ([], {})


def test_an_import_counts_only_where_it_is_called(reference_source, hw1):
    unused = "from torch.nn.functional import mse_loss\n" + reference_source  # own def shadows it
    assert flag_autograd(unused, EVERY_RULE) == ([], {})
    used = "from torch.autograd import grad as g\n" + reference_source.replace(
        "    dJdy_hat = 2 * diff / diff.numel()", "    dJdy_hat = g(J, y_hat)[0]")
    flags, zeroed = flag_autograd(used, hw1)
    assert "grad from torch.autograd" in flags[0].message
    assert set(zeroed) == MSE_GRADIENT
    named = "from torch.autograd import grad\n" + reference_source.replace(
        "    dJdy_hat = 2 * diff / diff.numel()", "    keep = [grad]\n    dJdy_hat = 2 * diff / diff.numel()")
    assert flag_autograd(named, hw1) == ([], {})  # a name, never called


@pytest.mark.parametrize("source_edit", [
    # The case: imported, never used; the reference's clear_grad_and_cache then
    # loops `for grad in self.grads:`, a local binding of the same name.
    lambda s: "from torch.func import grad\n" + s,
    lambda s: "from torch.autograd import grad\n" + s.replace(
        "def activation(name, z):", "def activation(name, z, grad=abs):\n    grad(z)"),
    lambda s: "from torch.autograd import grad\n" + s.replace(
        "    return torch.ones_like(z)", "    return [grad(v) for grad in (torch.ones_like,) for v in [z]][0]"),
    lambda s: "from torch.func import grad\ngrad = None\n" + s.replace(
        "        dJdz2 = dJdz3 @ W2\n", "        dJdz2 = dJdz3 @ W2 if grad is None else grad(W2)\n"),
    # Rebound after the functions: they run after the whole module, and see the last binding.
    lambda s: "from torch.func import grad\n" + s.replace(
        "        dJdz2 = dJdz3 @ W2\n", "        dJdz2 = grad(dJdz3) @ W2\n") + "\n\ndef grad(v):\n    return v\n",
])
def test_a_shadowed_name_is_not_the_import(reference_source, hw1, source_edit):
    assert flag_autograd(source_edit(reference_source), hw1) == ([], {})


def test_a_local_import_or_a_global_declaration_is_followed(reference_source, hw1):
    local = reference_source.replace(
        "def activation_derivative(name, z):",
        "def activation_derivative(name, z):\n    from torch.func import grad\n    grad(torch.sum)(z)")
    declared = "from torch.func import grad\n" + reference_source.replace(
        "def activation_derivative(name, z):",
        "def activation_derivative(name, z):\n    global grad\n    grad(torch.sum)(z)")
    for source in (local, declared):
        flags, zeroed = flag_autograd(source, hw1)
        assert "activation_derivative" in flags[0].message and set(zeroed) == BACKWARD


def test_names_built_at_run_time_are_left_to_the_tripwire(reference_source, hw1):
    """The scan cannot read them; tests/grader/test_tripwire.py catches them at run time."""
    source = _in_backward(reference_source,
                          "        getattr(torch, 'auto' + 'grad').grad(self.cache['z1'].sum(), x)\n")
    assert flag_autograd(source, hw1) == ([], {})


def test_the_policy_decides_what_a_flag_costs(reference_source):
    source = _in_backward(reference_source, "        self.cache['z1'].sum().backward()\n")
    flag_only = IntegrityPolicy.from_table({"flag": ["tensor_backward"], "zero": "none"})
    flags, zeroed = flag_autograd(source, flag_only)
    assert [f.code for f in flags] == ["uses_autograd"] and zeroed == {}
    whole_file = IntegrityPolicy.from_table({"flag": ["tensor_backward"], "zero": "file"})
    assert set(flag_autograd(source, whole_file)[1]) == set(ITEMS)
    not_flagged = IntegrityPolicy.from_table({"flag": ["autograd_call"], "zero": "function"})
    assert flag_autograd(source, not_flagged) == ([], {})


@pytest.mark.parametrize("table, phrase", [
    (None, "no [integrity] table"),
    ('flag = "tensor_backward"\nzero = "function"', "must be a list of rule names"),
    ('flag = ["tensor_backward", "autograd"]\nzero = "function"', "unknown or repeated rules ['autograd']"),
    ('flag = ["autograd_call", "autograd_call"]\nzero = "function"', "unknown or repeated rules"),
    ('flag = []\nzero = "items"', "zero must be one of ['function', 'file', 'none']"),
    ('flag = []\nzero = "none"\nstrict = true', "keys must be exactly ['flag', 'zero']"),
])
def test_a_bad_integrity_table_is_an_assignment_error(tmp_path, table, phrase):
    text = (HIDDEN_TESTS_DIR / "hw1.toml").read_text()
    start = text.index("\n[integrity]\n")
    end = text.index("\n[", start + 1)
    replaced = text[:start] + (f"\n[integrity]\n{table}\n" if table else "\n") + text[end:]
    (tmp_path / "hw1.toml").write_text(replaced)
    with pytest.raises(AssignmentError, match=r"\[integrity\]") as error:
        load_assignment("hw1", tmp_path)
    assert phrase in str(error.value)
    shutil.copy(HIDDEN_TESTS_DIR / "hw1.toml", tmp_path / "hw1.toml")
    assert load_assignment("hw1", tmp_path).integrity == load_assignment("hw1").integrity


def test_any_input_gives_a_result(reference_source, hw1):
    """A deep expression, a syntax error, odd scopes: the scan answers, never raises."""
    for source in (reference_source + DEEP_EXPRESSION,
                   reference_source + "\nx = torch" + ".a" * 5000 + "\n",
                   reference_source + "\nx = " + " + ".join(["1"] * 5000) + "\n",  # ast.parse gives up
                   "def (:", "\0",
                   "class A:\n    class B:\n        def backward(self): pass\n"
                   "def f():\n    class C:\n        def g(self): x.backward()\n",
                   "match v:\n    case {'a': grad, **rest}: grad()\n    case [*rest]: pass\n"):
        assert flag_autograd(source, hw1) is not None
    assert scan(reference_source + DEEP_EXPRESSION, frozenset(Rule)) == []
    deep_use = _in_backward(reference_source, "        self.cache['z1'].sum().backward()\n") + DEEP_EXPRESSION
    assert set(flag_autograd(deep_use, hw1)[1]) == BACKWARD
