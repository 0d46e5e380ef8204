"""Inputs for mlp.py and their true answers from torch autograd in float64.

Two kinds of network case:
- isolation cases judge an activation: square layers (n = h = K), W1 = I, W2 = I or a random
  symmetric matrix, zero biases. A transposed or mis-biased Linear then changes nothing, and
  the pre-activations are the inputs themselves, so they can be put just either side of 0.
- linear cases judge the affine maps: random shapes (sizes of 1, wide, tall), random weights
  and biases, run with activations already known to be right.

Every ReLU input is kept at least 1e-3 from 0 (the derivative at 0 is a convention, and a
float32 rounding must not flip a sign); every sigmoid input within +-9 (beyond that a correct
float32 s * (1 - s) is off by more than 1e-3 relative).
"""

from dataclasses import dataclass

import numpy as np
import torch

ACTIVATIONS = ("identity", "relu", "sigmoid")
RELU_MARGIN = 1e-3
SIGMOID_LIMIT = 9.0


@dataclass
class NetCase:
    """One forward and backward call, with the answers."""

    f: str
    g: str
    sizes: tuple[int, int, int]
    """(n, h, K)."""
    x: torch.Tensor
    params: dict[str, torch.Tensor]
    """W1, b1, W2, b2 (float32)."""
    upstream: torch.Tensor
    """dJdy_hat handed to backward()."""
    y_hat: torch.Tensor
    """True output (float64)."""
    grads: dict[str, torch.Tensor]
    """True dJdW1, dJdb1, dJdW2, dJdb2 for `upstream` (float64)."""

    @property
    def batch(self) -> int:
        return self.x.shape[0]


@dataclass
class LossCase:
    y: torch.Tensor
    y_hat: torch.Tensor
    loss: float
    """True mean loss (float64)."""
    grad: torch.Tensor
    """True dJ/dy_hat (float64)."""
    grad_magnitude: torch.Tensor
    """Size of the terms that make up each element of `grad`: bounds float32 cancellation."""


def _act(name: str, z: torch.Tensor) -> torch.Tensor:
    if name == "relu":
        return torch.relu(z)
    if name == "sigmoid":
        return torch.sigmoid(z)
    return z


def _truth(f, g, x, params, upstream):
    """Autograd on float64 copies of the exact float32 inputs."""
    leaves = {k: v.double().requires_grad_() for k, v in params.items()}
    z1 = x.double() @ leaves["W1"].T + leaves["b1"]
    z2 = _act(f, z1) @ leaves["W2"].T + leaves["b2"]
    y_hat = _act(g, z2)
    W1, b1, W2, b2 = torch.autograd.grad(y_hat, [leaves[k] for k in ("W1", "b1", "W2", "b2")],
                                         upstream.double())
    grads = {"dJdW1": W1, "dJdb1": b1, "dJdW2": W2, "dJdb2": b2}
    return y_hat.detach(), z1.detach(), z2.detach(), grads


def _acceptable(f, g, z1, z2) -> bool:
    for name, z in ((f, z1), (g, z2)):
        if name == "relu" and bool((z.abs() < RELU_MARGIN).any()):
            return False
        if name == "sigmoid" and bool((z.abs() > SIGMOID_LIMIT).any()):
            return False
    return True


def _tensor(array) -> torch.Tensor:
    return torch.tensor(np.asarray(array), dtype=torch.float32)


def _near_zero_inputs(rng, shape):
    """Half the entries within 0.1 of 0 (either side), the rest spread up to +-6."""
    near = rng.uniform(RELU_MARGIN, 0.1, shape) * rng.choice([-1.0, 1.0], shape)
    wide = rng.uniform(0.1, 6.0, shape) * rng.choice([-1.0, 1.0], shape)
    return np.where(rng.random(shape) < 0.5, near, wide)


def _build(rng, f, g, sizes, draw, tries=200) -> NetCase:
    for _ in range(tries):
        x, params, upstream = draw()
        y_hat, z1, z2, grads = _truth(f, g, x, params, upstream)
        if _acceptable(f, g, z1, z2):
            return NetCase(f, g, sizes, x, params, upstream, y_hat, grads)
    raise RuntimeError(f"no acceptable case for {f}/{g} {sizes}")


def isolation_case(rng, f: str, g: str, m: int, batch: int) -> NetCase:
    def draw():
        x = _tensor(_near_zero_inputs(rng, (batch, m)))
        if rng.random() < 0.5:
            W2 = np.eye(m)
        else:
            a = rng.normal(0.0, 1.0, (m, m))
            W2 = (a + a.T) / 2 + np.eye(m)
        params = {"W1": _tensor(np.eye(m)), "b1": torch.zeros(m),
                  "W2": _tensor(W2), "b2": torch.zeros(m)}
        upstream = _tensor(rng.normal(0.0, 1.0, (batch, m)))
        return x, params, upstream

    if g == "relu" and f == "relu":
        # relu(z1) is exactly 0 for every negative z1; with W2 = I that 0 reaches g.
        base = draw

        def draw():
            x, params, upstream = base()
            if bool((params["W2"] == torch.eye(m)).all()):
                x = x.abs()
            return x, params, upstream

    return _build(rng, f, g, (m, m, m), draw)


def linear_case(rng, f: str, g: str, sizes: tuple[int, int, int], batch: int) -> NetCase:
    n, h, k = sizes

    def draw():
        x = _tensor(rng.normal(0.0, 1.0, (batch, n)))
        params = {"W1": _tensor(rng.normal(0.0, 1.0 / np.sqrt(n), (h, n))),
                  "b1": _tensor(rng.normal(0.0, 0.5, h)),
                  "W2": _tensor(rng.normal(0.0, 1.0 / np.sqrt(h), (k, h))),
                  "b2": _tensor(rng.normal(0.0, 0.5, k))}
        upstream = _tensor(rng.normal(0.0, 1.0, (batch, k)))
        return x, params, upstream

    return _build(rng, f, g, sizes, draw)


LOSS_SHAPES = ((1, 1), (1, 5), (7, 1), (10, 5), (4, 3), (32, 10), (3, 17))


def mse_cases(rng) -> list[LossCase]:
    cases = []
    for batch, k in LOSS_SHAPES:
        for scale in (0.1, 1.0, 10.0):
            y = _tensor(rng.normal(0.0, scale, (batch, k)))
            y_hat = _tensor(rng.normal(0.0, scale, (batch, k)))
            leaf = y_hat.double().requires_grad_()
            loss = torch.nn.functional.mse_loss(leaf, y.double())
            (grad,) = torch.autograd.grad(loss, leaf)
            magnitude = 2 * (y_hat.double().abs() + y.double().abs()) / y.numel()
            cases.append(LossCase(y, y_hat, loss.item(), grad, magnitude))
    return cases


def _probabilities(rng, shape):
    """Predictions in (0, 1): a third near 0, a third near 1 (down to 1e-4 away), the rest."""
    away = 10.0 ** rng.uniform(-4.0, -1.5, shape)
    middle = rng.uniform(0.05, 0.95, shape)
    pick = rng.integers(0, 3, shape)
    return np.where(pick == 0, away, np.where(pick == 1, 1.0 - away, middle))


def bce_cases(rng) -> list[LossCase]:
    cases = []
    for batch, k in LOSS_SHAPES:
        for soft in (False, True):
            y_hat = _tensor(_probabilities(rng, (batch, k)))
            y = _tensor(rng.random((batch, k)) if soft else rng.integers(0, 2, (batch, k)))
            leaf = y_hat.double().requires_grad_()
            loss = torch.nn.functional.binary_cross_entropy(leaf, y.double())
            (grad,) = torch.autograd.grad(loss, leaf)
            p, t = y_hat.double(), y.double()
            magnitude = (t / p + (1 - t) / (1 - p)) / y.numel()
            cases.append(LossCase(y, y_hat, loss.item(), grad, magnitude))
    return cases
