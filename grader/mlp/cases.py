"""Hidden cases of mlp.py, generated from the seed on the trusted side.

Every input is rounded to float32 here, because that is what the student receives; expected
values are later computed from these rounded inputs. Case c of item i draws from
`default_rng([seed, i, c])`, so changing one item's count never shifts another item.

Isolation (so one bug fails its own item): linear cases use f = g = identity with random
weights; activation cases use identity weights (W = I, b = 0, n = h = K) so z1 = x and, at
batch size 1, dJdb1 = dJ/dz1 and dJdb2 = dJ/dz3; loss cases call the loss functions alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from grader.mlp.items import ITEMS

GRADS = ("dJdW1", "dJdb1", "dJdW2", "dJdb2")


@dataclass
class Case:
    """One call (or forward+backward pair) of the student's code."""

    case_id: str
    """"<item>.<index>", e.g. "relu.backward.3"."""
    item: str
    kind: str
    """"forward", "backward" (forward then backward) or "loss"."""
    inputs: dict[str, np.ndarray]
    """float32 arrays handed to the student: x, W1, b1, W2, b2, dJdy_hat or y, y_hat."""
    compare: tuple[str, ...]
    """Outputs that decide this case, e.g. ("dJdb1", "dJdb2")."""
    config: dict = field(default_factory=dict)
    """n, h, K, f, g (model cases) or function (loss cases); B is the batch size."""
    model: str = ""
    """Cases with the same model key reuse one MLP object (shows accumulated gradients)."""
    previous: str = ""
    """The case run on the same model just before this one, if any."""
    chain: str = ""
    """"f" when dJdb1 is checked against the student's own dJdb2 (mixed f/g cases)."""

    def describe(self) -> str:
        """The configuration in words, for staff (never the values)."""
        c = self.config
        if self.kind == "loss":
            return f"{c['function']} y.shape={tuple(self.inputs['y'].shape)} labels={c['labels']}"
        return (f"f={c['f']} g={c['g']} n={c['n']} h={c['h']} K={c['K']} B={c['B']} "
                f"scale={c['scale']:.3g} model={self.model}")


def generate_cases(seed: int, counts: dict[str, int]) -> list[Case]:
    """All cases of every item, `counts[item]` of each, from the seed."""
    makers = {
        "linear.forward": _linear, "linear.backward": _linear,
        "relu.forward": _activation, "relu.backward": _activation,
        "sigmoid.forward": _activation, "sigmoid.backward": _activation,
        "mse_loss.forward": _loss, "mse_loss.backward": _loss,
        "bce_loss.forward": _loss, "bce_loss.backward": _loss,
    }
    cases = []
    for index, item in enumerate(ITEMS):
        previous_by_model: dict[str, str] = {}
        for c in range(counts[item]):
            rng = np.random.default_rng([seed, index, c])
            # Sizes come from the pair's stream: cases 2k and 2k+1 share one MLP object.
            pair_rng = np.random.default_rng([seed, index, c // 2, 1])
            case = makers[item](rng, pair_rng, item, c)
            if case.model:
                case.previous = previous_by_model.get(case.model, "")
                previous_by_model[case.model] = case.case_id
            cases.append(case)
    return cases


def _f32(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float32)


def _far_from_zero(rng, shape, low_exp: float, high_exp: float) -> np.ndarray:
    """Random signs times magnitudes 10**U(low_exp, high_exp): never near 0."""
    magnitude = 10.0 ** rng.uniform(low_exp, high_exp, size=shape)
    return rng.choice([-1.0, 1.0], size=shape) * magnitude


# (B, n, h, K) shapes of linear cases; None draws a random size. Each shape serves two
# consecutive cases on one MLP object.
_LINEAR_SHAPES = (
    (1, None, None, None),   # batch size 1
    (None, 3, 64, 2),        # wide hidden layer
    (None, 1, 1, 1),         # every size 1
    (None, 64, 2, 48),       # tall: big in and out, narrow hidden
    (1, 1, None, 1),         # batch 1, in and out 1
    (None, None, None, None),
    (None, 1, None, None),
    (None, None, None, 1),
)


def _linear(rng, pair_rng, item: str, c: int) -> Case:
    B, n, h, K = (size if size is not None else int(pair_rng.integers(2, 17))
                  for size in _LINEAR_SHAPES[(c // 2) % len(_LINEAR_SHAPES)])
    scale = float(10.0 ** rng.uniform(-1, 2))  # values of order 0.1 .. 100
    inputs = {
        "x": _f32(rng.normal(0, scale, (B, n))),
        "W1": _f32(rng.normal(0, 1, (h, n))),
        "b1": _f32(_far_from_zero(rng, h, -1, 1)),
        "W2": _f32(rng.normal(0, 1, (K, h))),
        "b2": _f32(_far_from_zero(rng, K, -1, 1)),
    }
    forward = item.endswith("forward")
    if not forward:
        inputs["dJdy_hat"] = _f32(_far_from_zero(rng, (B, K), -1, 1))
    return Case(
        case_id=f"{item}.{c}", item=item, kind="forward" if forward else "backward",
        inputs=inputs, compare=("y_hat",) if forward else GRADS,
        config=dict(n=n, h=h, K=K, f="identity", g="identity", B=B, scale=scale),
        model=f"{item}.m{c // 2}")


def _combos(activation: str, direction: str) -> list[tuple[str, str, str]]:
    """(f, g, chain) combinations of an activation item; chain 'f' marks mixed f/g cases."""
    a = activation
    combos = [(a, "identity", ""), ("identity", a, ""), (a, a, "")]
    if direction == "backward":
        other = "sigmoid" if a == "relu" else "relu"
        combos += [(a, other, "f"), (a, "identity", "")]
    return combos


def _activation(rng, pair_rng, item: str, c: int) -> Case:
    activation, direction = item.split(".")
    combos = _combos(activation, direction)
    backward = direction == "backward"
    # Backward: two consecutive cases share a configuration and an MLP object; batch 1.
    slot = c // 2 if backward else c
    f, g, chain = combos[slot % len(combos)]
    size_rng = pair_rng if backward else rng
    size = int(size_rng.integers(2, 13)) if slot % 3 else 1  # every third configuration: size 1
    if chain:
        # Mixed cases judge dJdb1 against the student's own dJdb2; at size 1 with relu's
        # positive input that is dJdb1 == dJdb2, which a constant "gradient" would satisfy.
        size = max(size, 2)
    B = 1 if backward else int(rng.integers(1, 9))
    # sigmoid: up to |z| = 25, where float32 saturates; relu: 0.1 .. 30.
    high = 1.4 if activation == "sigmoid" else 1.5
    x = _far_from_zero(rng, (B, size), -1, high)
    # One moderate value per case: it sets the scale, so elements a float32 sigmoid rounds
    # to exactly 0 or 1 are judged against it. For relu it is the positive side (with g =
    # sigmoid after it, z3 stays unsaturated too) and a negative one follows.
    x[0, 0] = rng.uniform(-2, 2) if activation == "sigmoid" else rng.uniform(0.5, 3)
    if activation == "relu" and size > 1:
        x[0, 1] = -abs(x[0, 1])
    eye = np.eye(size)
    inputs = {"x": _f32(x), "W1": _f32(eye), "b1": _f32(np.zeros(size)),
              "W2": _f32(eye), "b2": _f32(np.zeros(size))}
    if backward:
        inputs["dJdy_hat"] = _f32(_far_from_zero(rng, (B, size), -1, 1))
        compare = ("dJdb1",) if chain else ("dJdb1", "dJdb2")
    else:
        compare = ("y_hat",)
    return Case(
        case_id=f"{item}.{c}", item=item, kind=direction, inputs=inputs, compare=compare,
        config=dict(n=size, h=size, K=size, f=f, g=g, B=B, scale=float(10 ** high)),
        model=f"{item}.m{slot}" if backward else f"{item}.m{c}", chain=chain)


# (B, K) shapes of loss cases; None draws a random size.
_LOSS_SHAPES = ((1, 1), (1, None), (None, 1), (None, None), (None, None), (1, None))


def _loss(rng, pair_rng, item: str, c: int) -> Case:
    function = item.split(".")[0]
    B, K = (size if size is not None else int(rng.integers(2, 13))
            for size in _LOSS_SHAPES[c % len(_LOSS_SHAPES)])
    if function == "mse_loss":
        scale = float(10.0 ** rng.uniform(-1, 2))
        y = rng.normal(0, scale, (B, K))
        y_hat = y + _far_from_zero(rng, (B, K), np.log10(scale) - 1, np.log10(scale) + 0.5)
        labels = "real"
    else:
        scale = 1.0
        y_hat = _probabilities(rng, (B, K))
        hard = c % 2 == 0
        y = rng.integers(0, 2, (B, K)).astype(float) if hard else rng.uniform(0, 1, (B, K))
        labels = "hard" if hard else "soft"
    return Case(
        case_id=f"{item}.{c}", item=item, kind="loss",
        inputs={"y": _f32(y), "y_hat": _f32(y_hat)},
        compare=("J",) if item.endswith("forward") else ("dJdy_hat",),
        config=dict(function=function, B=B, K=K, labels=labels, scale=scale))


def _probabilities(rng, shape) -> np.ndarray:
    """Predictions in (0, 1): a third near 0, a third near 1 (1e-6 .. 1e-3 away), never 0 or 1."""
    kind = rng.integers(0, 3, shape)
    near = 10.0 ** rng.uniform(-6, -3, shape)
    p = np.where(kind == 0, near, np.where(kind == 1, 1 - near, rng.uniform(0.05, 0.95, shape)))
    p32 = _f32(p)
    assert np.all((p32 > 0) & (p32 < 1))
    return p32
