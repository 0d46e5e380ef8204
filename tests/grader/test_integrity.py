"""Autograd in mlp.py is found by reading the source, attributed to the items it serves."""

import pytest

from grader.integrity import flag_autograd

BACKWARD = {"linear.backward", "relu.backward", "sigmoid.backward"}


def _with(reference_source, old, new):
    assert reference_source.count(old) == 1
    return reference_source.replace(old, new)


def test_reference_is_clean(reference_source, handout_source):
    assert flag_autograd(reference_source) == ([], {})
    assert flag_autograd(handout_source) == ([], {})


@pytest.mark.parametrize("body", [
    "        y_hat = self.cache['y_hat']; y_hat.backward(dJdy_hat)\n",
    "        gW1, = torch.autograd.grad(self.cache['z1'].sum(), self.parameters['W1'])\n",
    "        self.parameters['W1'].requires_grad_(True)\n",
    "        self.parameters['W1'].requires_grad = True\n",
])
def test_autograd_in_a_method_zeroes_the_backward_items(reference_source, body):
    source = _with(reference_source, "        x, z1, z2, z3 = (self.cache[k]",
                   body + "        x, z1, z2, z3 = (self.cache[k]")
    flags, zeroed = flag_autograd(source)
    assert [f.code for f in flags] == ["uses_autograd"]
    assert "MLP.backward" in flags[0].message and "line" in flags[0].message
    assert set(zeroed) == BACKWARD


def test_torch_loss_in_bce_zeroes_only_bce_and_helpers_are_followed(reference_source):
    source = _with(reference_source, "    dJdy_hat = (y_hat - y) / (y_hat * (1 - y_hat)) / y.numel()",
                   "    dJdy_hat = _grad_of(y, y_hat)") + (
        "\n\ndef _grad_of(y, y_hat):\n"
        "    y_hat = y_hat.detach().requires_grad_()\n"
        "    torch.nn.functional.binary_cross_entropy(y_hat, y).backward()\n"
        "    return y_hat.grad\n")
    flags, zeroed = flag_autograd(source)
    assert flags and set(zeroed) == {"bce_loss.forward", "bce_loss.backward"}


def test_test_code_under_main_guard_is_not_flagged(reference_source):
    source = reference_source + (
        "\n\nif __name__ == '__main__':\n"
        "    import torch.nn.functional as F\n"
        "    y_hat = torch.randn(3, requires_grad=True)\n"
        "    F.mse_loss(y_hat, torch.zeros(3)).backward()\n")
    assert flag_autograd(source) == ([], {})


def test_calling_the_models_own_backward_is_not_autograd(reference_source):
    source = reference_source + (
        "\n\ndef train_step(net, x, y):\n"
        "    J, d = mse_loss(y, net.forward(x))\n"
        "    net.backward(d)\n"
        "    return J\n")
    assert flag_autograd(source) == ([], {})


def test_students_own_layer_classes_with_backward_are_not_autograd(reference_source):
    source = reference_source + (
        "\n\nclass Linear:\n"
        "    def backward(self, d):\n"
        "        return d\n\n\n"
        "def chain(layers, d):\n"
        "    for layer in layers:\n"
        "        d = layer.backward(d)\n"
        "    return d\n")
    source = source.replace("        dJdz2 = dJdz3 @ W2\n", "        dJdz2 = chain([Linear()], dJdz3) @ W2\n")
    assert flag_autograd(source) == ([], {})


def test_an_import_counts_only_where_it_is_used(reference_source):
    unused = "from torch.nn.functional import mse_loss\n" + reference_source  # own def shadows it
    assert flag_autograd(unused) == ([], {})
    used = "from torch.autograd import grad as g\n" + reference_source.replace(
        "    dJdy_hat = 2 * diff / diff.numel()", "    dJdy_hat = g(J, y_hat)[0]")
    flags, zeroed = flag_autograd(used)
    assert "grad from torch.autograd" in flags[0].message
    assert set(zeroed) == {"mse_loss.forward", "mse_loss.backward"}
