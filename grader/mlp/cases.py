"""Hidden cases of mlp.py, generated from the seed on the trusted side.

Every input is rounded to float32 here, because that is what the student receives; expected
values are later computed from these rounded inputs. Case c of an item draws from
`default_rng([seed, STREAMS[item], c])`, so changing one item's count never shifts another item.

Isolation (so one bug fails its own item): linear cases use f = g = identity with random
weights, and the later ones f = g = relu with the output layer's pre-activations kept
positive (the hidden ones mixed, so a weight gradient taken from z1 instead of relu(z1)
shows), so a missing identity branch does not cost the linear items; activation
cases use identity weights (W = I, b = 0, n = h = K) so z1 = x and dJdb1, dJdb2 are sums of
dJ/dz1, dJ/dz3 over the batch; loss cases call the loss functions alone. A case lists in
`needs` the other items whose code it runs: when one of those fails, the item is judged on
its cases that do not need it (grader/mlp/scoring.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.mlp.items import ITEMS, STREAMS, activation_items, layer_of

GRADS = ("dJdW1", "dJdb1", "dJdW2", "dJdb2")


@dataclass(frozen=True)
class ModelConfig:
    """The network a model case builds: n inputs, h hidden units, K outputs, activations f
    and g, a batch of B."""

    n: int
    h: int
    K: int
    f: str
    g: str
    B: int
    scale: float
    """The order of magnitude of x (linear cases) or of the pre-activations."""
    positive: bool = False
    """f = g = relu with the output layer's pre-activations kept positive (linear cases)."""


@dataclass(frozen=True)
class LossConfig:
    """A loss function called alone on y and y_hat of shape (B, K)."""

    function: str
    """mse_loss or bce_loss."""
    B: int
    K: int
    labels: str
    """real (mse_loss), hard or soft (bce_loss)."""
    scale: float


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
    config: ModelConfig | LossConfig
    """The network (forward and backward cases) or the loss function (loss cases)."""
    model: str = ""
    """Cases with the same model key reuse one MLP object (shows accumulated gradients)."""
    previous: str = ""
    """The case run on the same model just before this one, if any."""
    chain: str = ""
    """"f" when dJdb1 is checked against the student's own dJdb2 (mixed f/g cases)."""
    needs: frozenset[str] = frozenset()
    """Other items whose code this case runs (identity.forward for an f = identity case)."""

    @property
    def needs_only_its_layer(self) -> bool:
        """It runs no other layer's code (relu.backward's f = g = relu cases)."""
        layer = layer_of(self.item)
        return all(layer_of(need) == layer for need in self.needs)

    def describe(self) -> str:
        """The configuration in words, for staff (never the values)."""
        c = self.config
        if isinstance(c, LossConfig):
            return f"{c.function} y.shape={tuple(self.inputs['y'].shape)} labels={c.labels}"
        return (f"f={c.f} g={c.g} n={c.n} h={c.h} K={c.K} B={c.B} "
                f"scale={c.scale:.3g} model={self.model}")

    @property
    def loss_function(self) -> str | None:
        """The loss function a loss case calls; None for a model case."""
        return self.config.function if isinstance(self.config, LossConfig) else None

    @property
    def model_config(self) -> ModelConfig:
        """The network of a forward or backward case."""
        assert isinstance(self.config, ModelConfig), self.case_id
        return self.config


def generate_cases(seed: int, counts: dict[str, int]) -> list[Case]:
    """All cases of every item, `counts[item]` of each, from the seed."""
    makers = {
        "linear.forward": _linear, "linear.backward": _linear,
        "relu.forward": _activation, "relu.backward": _activation,
        "sigmoid.forward": _activation, "sigmoid.backward": _activation,
        "identity.forward": _activation, "identity.backward": _activation,
        "mse_loss.forward": _loss, "mse_loss.backward": _loss,
        "bce_loss.forward": _loss, "bce_loss.backward": _loss,
    }
    cases = []
    for item in ITEMS:
        stream = STREAMS[item]
        previous_by_model: dict[str, str] = {}
        for c in range(counts[item]):
            rng = np.random.default_rng([seed, stream, c])
            # Sizes come from the pair's stream: cases 2k and 2k+1 share one MLP object.
            pair_rng = np.random.default_rng([seed, stream, c // 2, 1])
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
    """Pairs 0-7 run f = g = identity over every shape; later pairs run f = g = relu with a
    bias b2 that keeps the output layer's pre-activations positive (g acts as the identity)
    while the hidden ones have both signs."""
    pair = c // 2
    B, n, h, K = (size if size is not None else int(pair_rng.integers(2, 17))
                  for size in _LINEAR_SHAPES[pair % len(_LINEAR_SHAPES)])
    positive = pair >= len(_LINEAR_SHAPES)
    scale = float(10.0 ** rng.uniform(-1, 2))  # values of order 0.1 .. 100
    x = _f32(rng.normal(0, scale, (B, n)))
    W1 = _f32(rng.normal(0, 1, (h, n)))
    b1 = _f32(_far_from_zero(rng, h, -1, 1))
    W2 = _f32(rng.normal(0, 1, (K, h)))
    b2 = _f32(_far_from_zero(rng, K, -1, 1))
    if positive:
        b2 = _f32(_lift(np.maximum(x @ W1.T + b1, 0) @ W2.T, np.abs(b2)))
    inputs = {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}
    forward = item.endswith("forward")
    if not forward:
        inputs["dJdy_hat"] = _f32(_far_from_zero(rng, (B, K), -1, 1))
    activation = "relu" if positive else "identity"
    return Case(
        case_id=f"{item}.{c}", item=item, kind="forward" if forward else "backward",
        inputs=inputs, compare=("y_hat",) if forward else GRADS,
        config=ModelConfig(n=n, h=h, K=K, f=activation, g=activation, B=B, scale=scale,
                           positive=positive),
        model=f"{item}.m{pair}", needs=activation_items(activation, item.split(".")[1]))


def _lift(products: np.ndarray, margin: np.ndarray) -> np.ndarray:
    """Biases that make every row of `products + bias` positive by at least `margin` (0.1 ..
    10, far above float32's rounding of the sums, at most ~1e-2 here)."""
    return np.abs(products.astype(np.float64)).max(axis=0) + margin


def _combos(activation: str, direction: str) -> list[tuple[str, str, str]]:
    """(f, g, chain) combinations of an activation item; chain 'f' marks mixed f/g cases."""
    a = activation
    if a == "identity":
        return [("identity", "identity", "")]
    combos = [(a, "identity", ""), ("identity", a, ""), (a, a, "")]
    if direction == "backward":
        other = "sigmoid" if a == "relu" else "relu"
        combos += [(a, other, "f"), (a, "identity", "")]
    return combos


def _activation(rng, pair_rng, item: str, c: int) -> Case:
    activation, direction = item.split(".")
    combos = _combos(activation, direction)
    backward = direction == "backward"
    # Backward: two consecutive cases share a configuration; each case has an MLP object of
    # its own (gradients accumulated across calls are linear.backward's, shown there).
    slot = c // 2 if backward else c
    f, g, chain = combos[slot % len(combos)]
    size_rng = pair_rng if backward else rng
    size = int(size_rng.integers(2, 13)) if slot % 3 else 1  # every third configuration: size 1
    if chain:
        # Mixed cases judge dJdb1 against the student's own dJdb2; at size 1 with relu's
        # positive input that is dJdb1 == dJdb2, which a constant "gradient" would satisfy.
        size = max(size, 2)
    # Backward: batch 1 in mixed cases (dJdb1 = dJdb2 * f'(z1) holds only there) and in every
    # third configuration; a batch of 2-5 otherwise (also with f = g = a, and at size 1), so
    # a derivative taken from the wrong row shows.
    if backward:
        B = 1 if chain or slot % 3 == 1 else int(pair_rng.integers(2, 6))
    else:
        B = int(rng.integers(1, 9))
    # sigmoid: up to |z| = 25, where float32 saturates; relu: 0.1 .. 30.
    high = 1.4 if activation == "sigmoid" else 1.5
    x = _far_from_zero(rng, (B, size), -1, high)
    # One moderate value per case: it sets the scale, so elements a float32 sigmoid rounds
    # to exactly 0 or 1 are judged against it. For relu it is the positive side (with g =
    # sigmoid after it, z3 stays unsaturated too) and a negative one follows.
    if activation == "relu":
        _near_zero(rng, x)
    x[0, 0] = rng.uniform(-2, 2) if activation == "sigmoid" else rng.uniform(0.5, 3)
    eye = np.eye(size)
    inputs = {"x": _f32(x), "W1": _f32(eye), "b1": _f32(np.zeros(size)),
              "W2": _f32(eye), "b2": _f32(np.zeros(size))}
    if backward:
        inputs["dJdy_hat"] = _f32(_far_from_zero(rng, (B, size), -1, 1))
        compare = ("dJdb1",) if chain else ("dJdb1", "dJdb2")
    else:
        compare = ("y_hat",)
    needs = frozenset().union(*(activation_items(other, direction)
                                for other in {f, g} - {activation}))
    if backward and f == g == activation:
        # g's derivative is taken at z3 = f(z1): a wrong forward of this activation shows
        # here too, and is sigmoid.forward's (or relu.forward's) mistake.
        needs |= {f"{activation}.forward"}
    return Case(
        case_id=f"{item}.{c}", item=item, kind=direction, inputs=inputs, compare=compare,
        config=ModelConfig(n=size, h=size, K=size, f=f, g=g, B=B, scale=float(10 ** high)),
        model=f"{item}.m{c}", chain=chain, needs=needs)


def _near_zero(rng, x: np.ndarray) -> None:
    """ReLU's input just below and just above 0 (never 0): 1e-3 .. 0.05 from it, so a
    derivative taken as `z >= -0.05` or an output as `z > 0.05` shows. The second element
    of the first row is negative, the third just below 0, the fourth just above."""
    size = x.shape[1]
    near = rng.random(x.shape) < 0.2
    x[near] = rng.choice([-1.0, 1.0], size=int(near.sum())) * 10.0 ** rng.uniform(-3, -1.3, int(near.sum()))
    if size > 1:
        x[0, 1] = -abs(x[0, 1])
    if size > 2:
        x[0, 2] = -(10.0 ** rng.uniform(-3, -1.3))
    if size > 3:
        x[0, 3] = 10.0 ** rng.uniform(-3, -1.3)


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
        config=LossConfig(function=function, B=B, K=K, labels=labels, scale=scale))


def _probabilities(rng, shape) -> np.ndarray:
    """Predictions in (0, 1): a third near 0, a third near 1, never 0 or 1.

    Near means 1e-4 .. 1e-2 away: closer, float32 alone moves a correct formula's dJdy_hat by
    percents (y_hat - y_hat*y_hat at 1 - 1e-6 rounds y_hat*y_hat by 6e-8, 6 % of the
    difference), and an eps clamp of 1e-7 changes it; here both stay below 0.3 %, which the
    tolerance allows for (grader/mlp/expected.py, bce_slack).
    """
    kind = rng.integers(0, 3, shape)
    near = 10.0 ** rng.uniform(-4, -2, shape)
    p = np.where(kind == 0, near, np.where(kind == 1, 1 - near, rng.uniform(0.05, 0.95, shape)))
    p32 = _f32(p)
    assert np.all((p32 > 0) & (p32 < 1))
    return p32
