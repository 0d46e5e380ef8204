"""Labels of one mlp.py: each of the 12 items correct or wrong.

What each item means (the part of the code it names):
- linear.forward / linear.backward: the affine maps and dJdW1, dJdb1, dJdW2, dJdb2 for a given
  upstream gradient, judged only with activations that passed their own items (so a missing
  identity does not sink Linear), on one reused MLP object per shape (accumulation shows).
- <activation>.forward: its output, used as f, as g, and next to every activation that works.
- <activation>.backward: its derivative, read from the bias gradients of isolation cases
  (fresh object per case), up to one positive factor per batch size and width: a backward()
  that divides every gradient by the batch size keeps a right derivative right; that mistake
  belongs to linear.backward.
- mse_loss / bce_loss: J (forward) and dJdy_hat (backward) of the mean loss.
A crash fails the case it happens in. A gradient that the autograd engine ran for (during the
call that produced it) fails its case; a loss value from torch with a hand-written gradient
does not.
"""

from dataclasses import dataclass
from itertools import product

import numpy as np
import torch

from .mlp_cases import ACTIVATIONS, NetCase, bce_cases, isolation_case, linear_case, mse_cases
from .student import CudaOnCpu, EngineSpy, silenced

GRAD_KEYS = ("dJdW1", "dJdb1", "dJdW2", "dJdb2")
ITEMS = tuple(f"mlp.{layer}.{direction}"
              for layer in ("linear", "relu", "sigmoid", "identity", "mse_loss", "bce_loss")
              for direction in ("forward", "backward"))

# Tolerances, elementwise: |got - want| <= RTOL * |want| + ATOL_SHARE * max|want| (+ a term
# for cancellation in the losses). A correct float32 formula is off by < 1e-5 relative here
# (BCE with an eps of 1e-7 next to a prediction 1e-4 from 0 or 1: 1e-3); every bug in the
# realistic set is off by more than 1e-2.
RTOL = 5e-3
ATOL_SHARE = 2e-4

ISOLATION_WIDTHS = (1, 2, 3, 5)
ISOLATION_BATCHES = (1, 4, 9)
LINEAR_SIZES = ((1, 1, 1), (2, 3, 1), (4, 1, 3), (5, 8, 2), (3, 2, 6), (16, 32, 10), (1, 6, 1),
                (7, 7, 7))
LINEAR_BATCHES = (1, 4, 10, 13)


@dataclass
class Suite:
    """Every case, made once (seeded) in the parent process and shared by all files."""

    isolation: dict[tuple[str, str], list[NetCase]]
    linear: dict[tuple[str, str], list[list[NetCase]]]
    """Per activation pair, groups of cases with one shape: one MLP object serves a group."""
    mse: list
    bce: list


def make_suite(seed: int = 20261202) -> Suite:
    rng = np.random.default_rng(seed)
    pairs = list(product(ACTIVATIONS, repeat=2))
    isolation = {(f, g): [isolation_case(rng, f, g, m, b)
                          for m in ISOLATION_WIDTHS for b in ISOLATION_BATCHES] for f, g in pairs}
    linear = {(f, g): [[linear_case(rng, f, g, s, b) for b in LINEAR_BATCHES] for s in LINEAR_SIZES]
              for f, g in pairs}
    return Suite(isolation, linear, mse_cases(rng), bce_cases(rng))


@dataclass
class Outcome:
    """What the student's code gave for one NetCase."""

    y_hat: torch.Tensor | None = None
    grads: dict[str, torch.Tensor] | None = None
    autograd: bool = False
    """The autograd engine ran while forward() or backward() ran."""


def _as_float64(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", torch.float64).clone()
    return torch.as_tensor(np.array(value, dtype=np.float64))


def _set_parameter(net, key, value):
    current = net.parameters[key]
    if isinstance(current, torch.Tensor) and tuple(current.shape) == tuple(value.shape):
        with torch.no_grad():
            current.copy_(value)
    else:
        net.parameters[key] = value.clone()


class Driver:
    """Calls a student's module as a grader does."""

    def __init__(self, module, spy: EngineSpy):
        self.module = module
        self.spy = spy

    def new_net(self, case: NetCase):
        n, h, k = case.sizes
        with silenced(), CudaOnCpu():
            return self.module.MLP(n, h, case.f, h, k, case.g)

    def run(self, case: NetCase, net=None) -> Outcome:
        outcome = Outcome()
        try:
            net = net if net is not None else self.new_net(case)
        except Exception:
            return outcome
        runs = self.spy.runs
        with silenced(), CudaOnCpu():
            try:
                net.clear_grad_and_cache()
                for key, value in case.params.items():
                    _set_parameter(net, key, value.clone())
                outcome.y_hat = _as_float64(net.forward(case.x.clone()))
            except Exception:
                return outcome
            try:
                net.backward(case.upstream.clone())
                outcome.grads = {key: _as_float64(net.grads[key]) for key in GRAD_KEYS}
            except Exception:
                outcome.grads = None
        outcome.autograd = self.spy.runs != runs
        return outcome

    def loss(self, name: str, case) -> tuple[torch.Tensor | None, torch.Tensor | None, bool]:
        runs = self.spy.runs
        try:
            with silenced(), CudaOnCpu():
                J, dJ = getattr(self.module, name)(case.y.clone(), case.y_hat.clone())
            J, dJ = _as_float64(J), _as_float64(dJ)
        except Exception:
            return None, None, self.spy.runs != runs
        return J, dJ, self.spy.runs != runs


def usable_shape(got: torch.Tensor, want: torch.Tensor) -> bool:
    """The expected shape, or one that stands in for it wherever it is used: the same elements,
    broadcasting to exactly the expected shape (a 0-d bias gradient for a layer of width 1
    updates a (1,) bias in place; a (1, h) or (B,) for (B, 1) does not)."""
    if got.numel() != want.numel():
        return False
    try:
        return torch.broadcast_shapes(got.shape, want.shape) == want.shape
    except RuntimeError:
        return False


def close(got: torch.Tensor | None, want: torch.Tensor, magnitude: torch.Tensor | None = None) -> bool:
    if got is None or not usable_shape(got, want):
        return False
    if not bool(torch.isfinite(got).all()):
        return False
    allowed = RTOL * want.abs() + ATOL_SHARE * float(want.abs().max()) + 1e-9
    if magnitude is not None:
        allowed = allowed + 1e-5 * magnitude
    return bool(((got - want).abs() <= allowed).all())


def _same_layout(got: torch.Tensor | None, want: torch.Tensor):
    """An activation item is about values: a squeezed or unsqueezed array (same number of
    elements) is read in the true shape; the shape itself is linear's business."""
    if got is None or got.numel() != want.numel():
        return None, want
    return got.reshape(want.shape), want


def _bias_grads_match_up_to_scale(results: list[tuple[NetCase, Outcome]]) -> bool:
    """dJdb1 and dJdb2 of every case equal c times the truth, one c > 0 per (batch, width)."""
    groups: dict[tuple[int, int], list[tuple[torch.Tensor, torch.Tensor]]] = {}
    for case, outcome in results:
        if outcome.grads is None or outcome.autograd:
            return False
        for key in ("dJdb1", "dJdb2"):
            got, want = _same_layout(outcome.grads[key], case.grads[key])
            if got is None:
                return False
            groups.setdefault((case.batch, case.sizes[1]), []).append((got, want))
    for pairs in groups.values():
        got = torch.cat([g.reshape(-1) for g, _ in pairs])
        want = torch.cat([w.reshape(-1) for _, w in pairs])
        energy = float(want @ want)
        scale = float(got @ want) / energy if energy > 1e-12 else 1.0
        if not 1e-3 <= scale <= 1e3:
            return False
        if not close(got, scale * want):
            return False
    return True


class MlpLabeler:
    def __init__(self, driver: Driver, suite: Suite):
        self.driver = driver
        self.suite = suite
        self._isolation: dict[tuple[str, str], list[tuple[NetCase, Outcome]]] = {}

    def isolation(self, pair) -> list[tuple[NetCase, Outcome]]:
        if pair not in self._isolation:
            self._isolation[pair] = [(c, self.driver.run(c)) for c in self.suite.isolation[pair]]
        return self._isolation[pair]

    def _forward_ok(self, pairs) -> bool:
        return all(close(*_same_layout(o.y_hat, c.y_hat)) for p in pairs for c, o in self.isolation(p))

    def labels(self) -> dict[str, str]:
        own_forward = {a: self._forward_ok([(a, a)]) for a in ACTIVATIONS}
        own_backward = {a: own_forward[a] and _bias_grads_match_up_to_scale(self.isolation((a, a)))
                        for a in ACTIVATIONS}
        working = [a for a in ACTIVATIONS if own_forward[a] and own_backward[a]]
        verdict = {}
        for a in ACTIVATIONS:
            partners = [b for b in working if b != a]
            verdict[f"mlp.{a}.forward"] = own_forward[a] and self._forward_ok(
                [(a, b) for b in partners] + [(b, a) for b in partners])
            verdict[f"mlp.{a}.backward"] = self._activation_backward(a, own_forward[a], partners)
        verdict.update(self._linear(working))
        verdict.update(self._loss("mse_loss", self.suite.mse))
        verdict.update(self._loss("bce_loss", self.suite.bce))
        return {item: "correct" if verdict[item] else "wrong" for item in ITEMS}

    def _activation_backward(self, a: str, forward_ok: bool, partners: list[str]) -> bool:
        # g's derivative is taken at z2 = W2 f(z1): with a wrong f that point is wrong too, so
        # (a, b) is used only when a's forward is right or b's derivative is a constant.
        pairs = [(b, a) for b in partners]
        pairs += [(a, b) for b in partners if forward_ok or b == "identity"]
        if forward_ok or not pairs:
            pairs.append((a, a))
        results = [r for p in pairs for r in self.isolation(p)]
        return _bias_grads_match_up_to_scale(results)

    def _linear(self, working: list[str]) -> dict[str, bool]:
        pairs = list(product(working, repeat=2)) or [("identity", "identity")]
        forward_ok = backward_ok = True
        for pair in pairs:
            for group in self.suite.linear[pair]:
                try:
                    net = self.driver.new_net(group[0])
                except Exception:
                    return {"mlp.linear.forward": False, "mlp.linear.backward": False}
                for case in group:
                    outcome = self.driver.run(case, net)
                    forward_ok = forward_ok and close(outcome.y_hat, case.y_hat)
                    backward_ok = backward_ok and outcome.grads is not None and not outcome.autograd \
                        and all(close(outcome.grads[k], case.grads[k]) for k in GRAD_KEYS)
        return {"mlp.linear.forward": forward_ok, "mlp.linear.backward": backward_ok}

    def _loss(self, name: str, cases) -> dict[str, bool]:
        forward_ok = backward_ok = True
        for case in cases:
            J, dJ, autograd = self.driver.loss(name, case)
            value_ok = J is not None and J.numel() == 1 and close(J.reshape(()), torch.tensor(case.loss, dtype=torch.float64))
            forward_ok = forward_ok and value_ok
            backward_ok = backward_ok and dJ is not None and not autograd \
                and close(dJ, case.grad, case.grad_magnitude)
        return {f"mlp.{name}.forward": forward_ok, f"mlp.{name}.backward": backward_ok}
