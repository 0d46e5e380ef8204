"""Single-bug variants of reference/mlp.py, made by text substitution, with the items each
must fail (its own, plus what it cannot help dragging down) and the feedback it must get."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    edits: tuple[tuple[str, str], ...]
    """(text of the reference, replacement); each text must occur exactly once."""
    fails: frozenset[str]
    """Items (without the `mlp.` prefix) that must not pass; every other mlp item passes."""
    feedback: dict[str, str]
    """item -> a phrase its feedback must contain."""

    @property
    def item(self) -> str:
        """The item the bug is in, from the name: "relu_backward_..." -> "relu.backward"."""
        layer, direction = self.name.split("_")[:2]
        layer = {"mse": "mse_loss", "bce": "bce_loss"}.get(layer, layer)
        return f"{layer}.{direction}"


def apply(source: str, edits) -> str:
    for old, new in edits:
        assert source.count(old) == 1, f"edit target not unique or missing: {old!r}"
        source = source.replace(old, new)
    return source


def _v(name, edits, fails, feedback=None):
    return Variant(name, tuple(edits), frozenset(fails), feedback or {})


FORWARD_SETS = "        self.cache = dict(x=x, z1=z1, z2=z2, z3=z3)\n"

VARIANTS = [
    # linear.forward
    _v("linear_forward_missing_b1", [("z1 = x @ W1.T + b1", "z1 = x @ W1.T")],
       # backward uses the cached z2, which lacks b1: dJdW2 is wrong too
       {"linear.forward", "linear.backward"},
       {"linear.forward": "lacks the bias b1",
        "linear.backward": "likely cause: fix linear.forward first"}),
    _v("linear_forward_b2_twice", [("z3 = z2 @ W2.T + b2", "z3 = z2 @ W2.T + 2 * b2")],
       {"linear.forward"}),
    _v("linear_forward_untransposed_W1", [("z1 = x @ W1.T + b1", "z1 = x @ W1 + b1")],
       {"linear.forward", "linear.backward"}),
    _v("linear_forward_batch_size_hard_coded", [("z1 = x @ W1.T + b1", "z1 = x.reshape(10, -1) @ W1.T + b1")],
       # shared code: every item that runs forward() raises; named where it starts
       {"linear.forward", "linear.backward", "relu.forward", "relu.backward", "sigmoid.forward",
        "sigmoid.backward", "identity.forward", "identity.backward"},
       {"relu.forward": "the same exception is raised in linear.forward's cases",
        "sigmoid.backward": "the same exception is raised in linear.forward's cases"}),
    # linear.backward
    _v("linear_backward_raises_at_one_output",
       # squeeze(1) drops K = 1: backward raises in the output layer for those shapes only,
       # in linear.backward's cases and in identity.backward's size-1 ones (relu's and
       # sigmoid's size-1 cases use identity too, and are left out while it fails)
       [("dJdz2 = dJdz3 @ W2\n", "dJdz2 = dJdz3.squeeze(1) @ W2\n")],
       {"linear.backward", "identity.backward"},
       {"identity.backward": "the same exception is raised in linear.backward's cases"}),
    _v("linear_backward_mean_in_backward",
       # the loss returns the gradient of the sum, backward() divides every gradient by the
       # batch size: end to end the same, but linear.backward's gradients are not, and the
       # activations' derivatives are right (judged on the student's own scale)
       [("dJdy_hat = 2 * diff / diff.numel()", "dJdy_hat = 2 * diff / diff.shape[1]"),
        ("        self.grads['dJdb1'] = dJdz1.sum(dim=0)\n",
         "        self.grads['dJdb1'] = dJdz1.sum(dim=0)\n"
         "        for name in self.grads:\n"
         "            self.grads[name] = self.grads[name] / x.shape[0]\n")],
       {"linear.backward", "mse_loss.backward"},
       {"linear.backward": "every gradient is divided by the batch size in backward()"}),
    _v("linear_backward_transposed_dJdW2",
       [("self.grads['dJdW2'] = dJdz3.T @ z2", "self.grads['dJdW2'] = z2.T @ dJdz3")],
       {"linear.backward"}, {"linear.backward": "the weight gradient is transposed"}),
    _v("linear_backward_bias_mean",
       [("self.grads['dJdb1'] = dJdz1.sum(dim=0)", "self.grads['dJdb1'] = dJdz1.mean(dim=0)")],
       {"linear.backward"}, {"linear.backward": "averaged over the batch"}),
    _v("linear_backward_untransposed_W2", [("dJdz2 = dJdz3 @ W2\n", "dJdz2 = dJdz3 @ W2.T\n")],
       {"linear.backward"}),
    _v("linear_backward_accumulates",
       [("self.grads['dJdW1'] = dJdz1.T @ x", "self.grads['dJdW1'] += dJdz1.T @ x"),
        ("self.grads['dJdW2'] = dJdz3.T @ z2", "self.grads['dJdW2'] += dJdz3.T @ z2"),
        ("            self.grads[grad].zero_()\n", "            pass\n")],
       {"linear.backward"}, {"linear.backward": "accumulated across calls"}),
    # relu.forward
    _v("relu_forward_abs", [("return z.clamp(min=0)", "return z.abs()")],
       {"relu.forward"}, {"relu.forward": "wrong where its input is negative"}),
    _v("relu_forward_leaky", [("return z.clamp(min=0)", "return torch.where(z > 0, z, 0.01 * z)")],
       {"relu.forward"}),
    # relu.backward
    _v("relu_backward_one_everywhere", [("return (z > 0).to(z.dtype)", "return torch.ones_like(z)")],
       {"relu.backward"}, {"relu.backward": "ReLU derivative is wrong where its input is at or below 0"}),
    _v("relu_backward_value_not_slope", [("return (z > 0).to(z.dtype)", "return z.clamp(min=0)")],
       {"relu.backward"}),
    _v("relu_backward_just_below_zero", [("return (z > 0).to(z.dtype)", "return (z >= -0.05).to(z.dtype)")],
       {"relu.backward"}, {"relu.backward": "ReLU derivative is wrong where its input is at or below 0"}),
    _v("relu_backward_divided_by_batch",
       [("return (z > 0).to(z.dtype)", "return (z > 0).to(z.dtype) / z.shape[0]")],
       # divided in the activation only: not the student's own scale (linear.backward is right)
       {"relu.backward"}),
    # sigmoid.forward
    _v("sigmoid_forward_sign", [("return 1 / (1 + torch.exp(-z))", "return 1 / (1 + torch.exp(z))")],
       # sigmoid before sigmoid takes g's derivative at the wrong z3: those cases are
       # sigmoid.forward's mistake, left out of sigmoid.backward while it fails
       {"sigmoid.forward"},
       {"sigmoid.backward": "which fails on its own: they are not counted here"}),
    _v("sigmoid_forward_tanh", [("return 1 / (1 + torch.exp(-z))", "return torch.tanh(z)")],
       {"sigmoid.forward"}),
    # sigmoid.backward
    _v("sigmoid_backward_of_z", [("s = 1 / (1 + torch.exp(-z))\n", "s = z\n")],
       {"sigmoid.backward"}, {"sigmoid.backward": "computed from z instead of from sigmoid(z)"}),
    _v("sigmoid_backward_no_one_minus", [("return s * (1 - s)", "return s")],
       {"sigmoid.backward"}),
    # identity: its absence costs the identity items only, not linear or mixed relu/sigmoid
    _v("identity_forward_missing", [("        return 1 / (1 + torch.exp(-z))\n    return z\n",
                                     "        return 1 / (1 + torch.exp(-z))\n")],
       {"identity.forward", "identity.backward"},
       {"identity.backward": "the same exception is raised in identity.forward's cases",
        "linear.forward": "not counted here"}),
    _v("identity_forward_as_relu", [("        return 1 / (1 + torch.exp(-z))\n    return z\n",
                                     "        return 1 / (1 + torch.exp(-z))\n    return z.clamp(min=0)\n")],
       {"identity.forward"}),
    _v("identity_backward_missing", [("    return torch.ones_like(z)\n", "")],
       {"identity.backward"}, {"identity.backward": "is it handled in forward() and in backward()?"}),
    _v("identity_backward_zero", [("    return torch.ones_like(z)\n", "    return torch.zeros_like(z)\n")],
       {"identity.backward"}),
    # mse_loss.forward
    _v("mse_forward_sum", [("J = (diff ** 2).mean()", "J = (diff ** 2).sum()")],
       {"mse_loss.forward"}, {"mse_loss.forward": "sum over the elements"}),
    _v("mse_forward_batch_only", [("J = (diff ** 2).mean()", "J = (diff ** 2).sum(dim=1).mean()")],
       {"mse_loss.forward"}, {"mse_loss.forward": "averaged over the batch only"}),
    # mse_loss.backward
    _v("mse_backward_no_factor_2", [("dJdy_hat = 2 * diff / diff.numel()", "dJdy_hat = diff / diff.numel()")],
       {"mse_loss.backward"}, {"mse_loss.backward": "missing the factor 2"}),
    _v("mse_backward_sign", [("dJdy_hat = 2 * diff / diff.numel()", "dJdy_hat = -2 * diff / diff.numel()")],
       {"mse_loss.backward"}, {"mse_loss.backward": "wrong sign"}),
    _v("mse_backward_batch_only", [("dJdy_hat = 2 * diff / diff.numel()", "dJdy_hat = 2 * diff / diff.shape[0]")],
       {"mse_loss.backward"}, {"mse_loss.backward": "averaged over the batch only"}),
    _v("mse_forward_edits_its_input", [("diff = y_hat - y", "diff = y_hat.sub_(y)")],
       {"mse_loss.forward", "mse_loss.backward"},
       {"mse_loss.forward": "changed its input (y_hat) in place"}),
    # bce_loss.forward
    _v("bce_forward_sum", [("torch.log(1 - y_hat)).mean()", "torch.log(1 - y_hat)).sum()")],
       {"bce_loss.forward"}, {"bce_loss.forward": "sum over the elements"}),
    _v("bce_forward_sign", [("J = -(y * torch.log(y_hat)", "J = (y * torch.log(y_hat)")],
       {"bce_loss.forward"}, {"bce_loss.forward": "wrong sign"}),
    # bce_loss.backward
    _v("bce_backward_batch_only", [("/ (y_hat * (1 - y_hat)) / y.numel()", "/ (y_hat * (1 - y_hat)) / y.shape[0]")],
       {"bce_loss.backward"}, {"bce_loss.backward": "averaged over the batch only"}),
    _v("bce_backward_sign", [("dJdy_hat = (y_hat - y) /", "dJdy_hat = (y - y_hat) /")],
       {"bce_loss.backward"}, {"bce_loss.backward": "wrong sign"}),
]
