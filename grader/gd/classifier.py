"""The trusted side's copy of the gd classifier, and the probability every grade rests on.

Probabilities are recomputed here, in float64, from the image the student's code returned:
nothing the student's process computed (its own softmax, its copy of the model) is believed.
"""

from __future__ import annotations

import functools
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from grader.errors import GraderFault
from grader.harness.classifier_net import load_classifier, state_vector

# The handout's IMAGENET_MEAN / IMAGENET_STD: normalize_and_jitter normalises with these, and
# the classifier was trained on images normalised the same way.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def read_weights(path: Path, sha256: str) -> bytes:
    """The weights file's bytes, refused unless its digest is the one the assignment records."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise GraderFault(f"cannot read the gd classifier {path}: {error}") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise GraderFault(f"the gd classifier {path} has sha256 {digest}, "
                              f"the assignment file expects {sha256}")
    return data


@dataclass(frozen=True)
class TrustedClassifier:
    """The classifier as the grader holds it, with what its untouched state looks like."""

    model: torch.nn.Module
    """float64 copy in eval mode, gradients off: computes every probability the grade uses."""
    state: np.ndarray
    """state_vector of the float32 model, exactly what the harness reports for an untouched one."""
    layout: tuple[tuple[str, int], ...]
    """(state_dict name, number of values) in state order, to say which tensor was changed."""


@functools.lru_cache(maxsize=2)
def trusted_classifier(path: Path, sha256: str) -> TrustedClassifier:
    """Loaded once per process and weights file; the digest is checked on every load."""
    data = read_weights(path, sha256)
    with np.load(io.BytesIO(data), allow_pickle=False) as weights:
        arrays = {name: weights[name] for name in weights.files}
    float32_model = load_classifier(arrays)
    layout = tuple((name, tensor.numel()) for name, tensor in float32_model.state_dict().items())
    model = load_classifier(arrays, dtype=torch.float64)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return TrustedClassifier(model=model, state=state_vector(float32_model).numpy(), layout=layout)


def class_probabilities(model: torch.nn.Module, image: np.ndarray) -> np.ndarray:
    """Softmax over the classes of one (1, 3, S, S) image in [0, 1], normalised without jitter."""
    tensor = torch.from_numpy(np.asarray(image, dtype=np.float64))
    mean = torch.tensor(IMAGENET_MEAN, dtype=torch.float64).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, dtype=torch.float64).view(1, 3, 1, 1)
    with torch.no_grad():
        return model((tensor - mean) / std).softmax(1)[0].numpy()
