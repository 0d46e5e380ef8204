"""The ten scored items of mlp.py, their order and what each one depends on.

The order is part of the seed's meaning: item i's cases come from
`default_rng([seed, i, case])`, so reordering would change every hidden case.
"""

from __future__ import annotations

ITEMS = (
    "linear.forward", "linear.backward",
    "relu.forward", "relu.backward",
    "sigmoid.forward", "sigmoid.backward",
    "mse_loss.forward", "mse_loss.backward",
    "bce_loss.forward", "bce_loss.backward",
)

# An item's cases also run these items' code; when both fail, the feedback names the
# dependency as the likely cause. Activation cases use identity weights, so only gross
# linear bugs (not transposes or bias sums) reach them.
DEPENDS_ON = {
    "linear.backward": ("linear.forward",),
    "relu.forward": ("linear.forward",),
    "sigmoid.forward": ("linear.forward",),
    "relu.backward": ("relu.forward", "linear.backward"),
    "sigmoid.backward": ("sigmoid.forward", "linear.backward"),
}

# Items whose code lives in each function of mlp.py (for integrity flags).
BACKWARD_ITEMS = ("linear.backward", "relu.backward", "sigmoid.backward")
LOSS_ITEMS = {"mse_loss": ("mse_loss.forward", "mse_loss.backward"),
              "bce_loss": ("bce_loss.forward", "bce_loss.backward")}


def split(item: str) -> tuple[str, str]:
    """'relu.backward' -> ('relu', 'backward')."""
    layer, direction = item.rsplit(".", 1)
    return layer, direction
