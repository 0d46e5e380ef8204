"""The small image classifier that gd.py submissions run gradient ascent against.

The homework's main() uses VGG13-BN with downloaded ImageNet weights; nothing here can
download, and VGG would take seconds per step on our CPUs. This network keeps what makes the
exercise meaningful, and what students' code assumes: 224x224 ImageNet-normalised RGB input
(a fixed 4x4 average brings it to 56x56, so a step costs ~1 ms), convolutions with BatchNorm
(so a submission that switches the model to train mode changes its running statistics, as it
would with VGG), global average pooling (so the roll jitter of normalize_and_jitter leaves the
prediction nearly unchanged), and input gradients of the size VGG's are believed to have, so
the step sizes students tuned on VGG work here (LogitScale; reference/classifier/TRAINING.md).

Imported in two places: inside the sandbox by gd_harness.py (from /harness, next to it) and on
the trusted side as grader.harness.classifier_net. It therefore depends on stdlib and torch
only; callers load the .npz weights themselves (numpy) and pass the arrays in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

IMAGE_SIZE = 224
"""Height and width in pixels of the images it takes: the handout's main() makes 224x224."""

DOWNSAMPLE = 4
"""The fixed front end averages 4x4 blocks (224 -> 56): the convolutions then cost what they
cost at 56x56, while the student's code handles 224x224 images as it would for VGG."""

CLASS_NAMES = (
    "red disc",
    "green square",
    "blue triangle",
    "horizontal stripes",
    "vertical stripes",
    "checkerboard",
    "yellow ring",
    "diagonal stripes",
    "magenta cross",
    "cyan dots",
)
"""What each output index was trained to recognise (reference/classifier/train.py draws them)."""

# Channel widths of the four conv blocks: 25,298 parameters (0.1 MB in float32). Measured on
# one core of the grading machine: a forward+backward pass on one 1x3x224x224 image takes
# 1.1 ms (widths (16, 32, 64, 64): 2.0 ms; a 2x2 front end with a fifth block: 5.6 ms).
_WIDTHS = (8, 16, 32, 64)


class LogitScale(nn.Module):
    """Multiplies the logits by a constant stored as a buffer (so the weights file, its digest
    and the model_unchanged check cover it). Set after training (reference/classifier/train.py)
    so that the input gradients are about as large as VGG13-BN's on 224x224 images: the step
    sizes students tuned on VGG then work here too (TRAINING.md has the numbers)."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("scale", torch.ones(()))

    def forward(self, logits: torch.Tensor) -> torch.Tensor:
        return logits * self.scale


def _conv_block(in_channels: int, out_channels: int, pool: bool) -> list[nn.Module]:
    """3x3 convolution, BatchNorm, ReLU, and a 2x2 max-pool that halves the size when asked."""
    layers: list[nn.Module] = [
        # No bias: the BatchNorm right after it has its own shift.
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
    ]
    if pool:
        layers.append(nn.MaxPool2d(2))
    return layers


def build_classifier() -> nn.Module:
    """The untrained network: 224x224 -> 56 (fixed 4x4 average) -> 28 -> 14 -> 7 spatially,
    global average pool, a linear layer and the logit scale."""
    layers: list[nn.Module] = [nn.AvgPool2d(DOWNSAMPLE)]
    in_channels = 3
    for index, width in enumerate(_WIDTHS):
        layers += _conv_block(in_channels, width, pool=index < len(_WIDTHS) - 1)
        in_channels = width
    return nn.Sequential(
        *layers,
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(in_channels, len(CLASS_NAMES)),
        LogitScale(),
    )


def load_classifier(arrays: Mapping[str, Any], dtype: torch.dtype = torch.float32) -> nn.Module:
    """The trained network in eval mode, from state_dict arrays (such as an opened .npz).

    Loading is strict: a weights file that does not match this definition is an error of
    the grader's installation, not something to paper over.
    """
    model = build_classifier()
    state = {name: torch.as_tensor(value) for name, value in arrays.items()}
    model.load_state_dict(state, strict=True)
    model = model.to(dtype)
    model.eval()
    return model


def state_vector(model: nn.Module) -> torch.Tensor:
    """Every parameter and buffer of `model`, flattened into one float64 vector.

    One array rather than one per tensor keeps what the harness sends back small and easy to
    check; the order is the state_dict's, which both sides build from the same definition.
    """
    parts = [tensor.detach().reshape(-1).to(torch.float64) for tensor in model.state_dict().values()]
    return torch.cat(parts)
