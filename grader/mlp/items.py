"""The twelve scored items of mlp.py, their order, streams and what each one depends on."""

from __future__ import annotations

ITEMS = (
    "linear.forward", "linear.backward",
    "relu.forward", "relu.backward",
    "sigmoid.forward", "sigmoid.backward",
    "identity.forward", "identity.backward",
    "mse_loss.forward", "mse_loss.backward",
    "bce_loss.forward", "bce_loss.backward",
)
"""Report order (the contract's layer order)."""

# Item i's case c draws from `default_rng([seed, STREAMS[i], c])`. The numbers are fixed per
# item, so adding an item (identity came in 0.4.0) or reordering the report never shifts
# another item's hidden cases.
STREAMS = {
    "linear.forward": 0, "linear.backward": 1,
    "relu.forward": 2, "relu.backward": 3,
    "sigmoid.forward": 4, "sigmoid.backward": 5,
    "mse_loss.forward": 6, "mse_loss.backward": 7,
    "bce_loss.forward": 8, "bce_loss.backward": 9,
    "identity.forward": 10, "identity.backward": 11,
}

# An item's cases also run these items' code; when both fail, the feedback names the
# dependency as the likely cause. Activation cases use identity weights, so only gross
# linear bugs (not transposes or bias sums) reach them.
DEPENDS_ON = {
    "linear.backward": ("linear.forward",),
    "relu.forward": ("linear.forward",),
    "sigmoid.forward": ("linear.forward",),
    "identity.forward": ("linear.forward",),
    "relu.backward": ("relu.forward", "linear.backward"),
    "sigmoid.backward": ("sigmoid.forward", "linear.backward"),
    "identity.backward": ("identity.forward", "linear.backward"),
}

# Items whose code lives in each function of mlp.py (for integrity flags).
BACKWARD_ITEMS = ("linear.backward", "relu.backward", "sigmoid.backward", "identity.backward")
LOSS_ITEMS = {"mse_loss": ("mse_loss.forward", "mse_loss.backward"),
              "bce_loss": ("bce_loss.forward", "bce_loss.backward")}


def gradient_items(items: tuple[str, ...]) -> tuple[str, ...]:
    """Of `items`, those that hold a gradient: autograd inside a loss function taints its
    dJdy_hat (mse_loss.backward), not the value J it computed by hand (mse_loss.forward)."""
    return tuple(item for item in items
                 if not (split(item)[0] in LOSS_ITEMS and item.endswith(".forward")))


def layer_of(item: str) -> str:
    """'relu.backward' -> 'relu'."""
    return split(item)[0]


def split(item: str) -> tuple[str, str]:
    """'relu.backward' -> ('relu', 'backward')."""
    layer, direction = item.rsplit(".", 1)
    return layer, direction


def activation_items(activation: str, direction: str) -> frozenset[str]:
    """The items a case with this activation needs ('identity', 'backward' -> identity.forward
    and identity.backward): a backward case runs forward() first."""
    if direction == "forward":
        return frozenset({f"{activation}.forward"})
    return frozenset({f"{activation}.forward", f"{activation}.backward"})
