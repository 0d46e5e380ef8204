"""The synthetic data set the gd classifier learns: ten kinds of coloured shapes and patterns.

Drawn procedurally with numpy from a seeded generator, so the classifier can be retrained
bit-for-bit on any machine without downloading anything. Each image is 224x224 RGB in [0, 1]
(the handout's size) on a noisy grey background like the start image of the homework's main()
(grey 128/255 with noise of standard deviation 8/255), with the shape's position, size and
colour varied so the network has to learn the shape, not a pixel. Shapes are laid out in units
of 1/64 of the side (the sizes below were chosen for the first, 64 px version) and drawn at
224 px. Class indices match CLASS_NAMES in
grader/harness/classifier_net.py.

A "background" image (no shape) is also drawn; training asks the network to be maximally
unsure on it (probability 1/10 for every class), so an untouched start image cannot pass the
grader's probability threshold by luck.
"""

from __future__ import annotations

import numpy as np

SIZE = 224
"""Pixels per side; equals classifier_net.IMAGE_SIZE."""
UNITS = 64
"""Side of the image in the units shapes are laid out in."""

# Each pixel's centre in units (3.5 pixels per unit).
_YY, _XX = ((np.mgrid[0:SIZE, 0:SIZE] + 0.5) * (UNITS / SIZE)).astype(np.float32)


def _color(rng: np.random.Generator, high: tuple[int, int, int]) -> np.ndarray:
    """A saturated colour: channels marked 1 in `high` near 1, the others near 0."""
    return np.array([rng.uniform(0.75, 1.0) if h else rng.uniform(0.0, 0.25) for h in high],
                    dtype=np.float32)


def _any_color(rng: np.random.Generator) -> np.ndarray:
    return rng.uniform(0.0, 1.0, 3).astype(np.float32)


def _center(rng: np.random.Generator, margin: float) -> tuple[float, float]:
    return rng.uniform(margin, UNITS - margin), rng.uniform(margin, UNITS - margin)


def _disc(rng: np.random.Generator) -> np.ndarray:
    radius = rng.uniform(8, 20)
    cy, cx = _center(rng, radius)
    return (_YY - cy) ** 2 + (_XX - cx) ** 2 < radius**2


def _square(rng: np.random.Generator) -> np.ndarray:
    half = rng.uniform(7, 18)
    cy, cx = _center(rng, half)
    return (np.abs(_YY - cy) < half) & (np.abs(_XX - cx) < half)


def _triangle(rng: np.random.Generator) -> np.ndarray:
    """An upright isosceles triangle: apex at the top, width growing linearly downwards."""
    half = rng.uniform(9, 20)
    cy, cx = _center(rng, half)
    top, height = cy - half, 2 * half
    depth = (_YY - top) / height
    return (depth >= 0) & (depth <= 1) & (np.abs(_XX - cx) < depth * half)


def _stripes(rng: np.random.Generator, coordinate: np.ndarray) -> np.ndarray:
    period = rng.uniform(6, 14)
    phase = rng.uniform(0, period)
    return np.mod(coordinate + phase, period) < period / 2


def _checkerboard(rng: np.random.Generator) -> np.ndarray:
    cell = rng.uniform(4, 10)
    oy, ox = rng.uniform(0, 2 * cell, 2)
    return (np.floor((_YY + oy) / cell) + np.floor((_XX + ox) / cell)) % 2 == 0


def _ring(rng: np.random.Generator) -> np.ndarray:
    outer = rng.uniform(10, 22)
    width = rng.uniform(3, 6)
    cy, cx = _center(rng, outer)
    distance = np.sqrt((_YY - cy) ** 2 + (_XX - cx) ** 2)
    return (distance < outer) & (distance > outer - width)


def _cross(rng: np.random.Generator) -> np.ndarray:
    arm = rng.uniform(10, 22)
    half_width = rng.uniform(2, 5)
    cy, cx = _center(rng, arm)
    dy, dx = np.abs(_YY - cy), np.abs(_XX - cx)
    return ((dy < half_width) & (dx < arm)) | ((dx < half_width) & (dy < arm))


def _dots(rng: np.random.Generator) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=bool)
    for _ in range(rng.integers(5, 13)):
        radius = rng.uniform(2, 4)
        cy, cx = _center(rng, radius)
        mask |= (_YY - cy) ** 2 + (_XX - cx) ** 2 < radius**2
    return mask


def _background(rng: np.random.Generator) -> np.ndarray:
    """Grey with a slight tint and pixel noise; (224, 224, 3) float32. The noise is uniform
    with a standard deviation up to 0.06 (main()'s start image: 8/255 = 0.031): drawn 5x
    faster than Gaussian noise, and the classifier averages 4x4 blocks of it anyway."""
    level = (rng.uniform(0.35, 0.65) + rng.uniform(-0.05, 0.05, 3)).astype(np.float32)
    spread = np.float32(rng.uniform(0.0, 0.06) * np.sqrt(12.0))
    noise = (rng.random((SIZE, SIZE, 3), dtype=np.float32) - np.float32(0.5)) * spread
    return level + noise


def draw(label: int, rng: np.random.Generator) -> np.ndarray:
    """One image of class `label` (or background only when label is -1): (3, 224, 224) in [0, 1]."""
    image = _background(rng)
    if label == 0:
        mask, color = _disc(rng), _color(rng, (1, 0, 0))
    elif label == 1:
        mask, color = _square(rng), _color(rng, (0, 1, 0))
    elif label == 2:
        mask, color = _triangle(rng), _color(rng, (0, 0, 1))
    elif label == 3:
        mask, color = _stripes(rng, _YY), _any_color(rng)
    elif label == 4:
        mask, color = _stripes(rng, _XX), _any_color(rng)
    elif label == 5:
        mask, color = _checkerboard(rng), _any_color(rng)
    elif label == 6:
        mask, color = _ring(rng), _color(rng, (1, 1, 0))
    elif label == 7:
        # Both diagonals: the class is "stripes at 45 degrees", not one handedness.
        mask, color = _stripes(rng, _YY + _XX if rng.random() < 0.5 else _YY - _XX), _any_color(rng)
    elif label == 8:
        mask, color = _cross(rng), _color(rng, (1, 0, 1))
    elif label == 9:
        mask, color = _dots(rng), _color(rng, (0, 1, 1))
    elif label == -1:
        mask, color = None, None
    else:
        raise ValueError(f"no such class: {label}")
    if mask is not None:
        image[mask] = color
    return np.clip(image, 0.0, 1.0).transpose(2, 0, 1)


def draw_batch(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Images for each label in `labels`: (N, 3, 224, 224) float32."""
    return np.stack([draw(int(label), rng) for label in labels])
