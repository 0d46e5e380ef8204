"""Charts drawn on the server as SVG geometry (the templates write the elements): no chart
library, no script, and the numbers are in the page for screen readers as a table too."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, PAD = 320, 120, 4
"""viewBox units; the SVG scales to its box's width."""
MAX_STEP = 32
"""A submission's bar and gap at most: two submissions do not make two walls."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    """The bar's title (tooltip and accessible name)."""
    highlight: bool = False


def score_bars(scores: list[tuple[str, float | None, float | None, bool]]) -> list[Bar]:
    """One bar per submission, oldest left: (label, score, max_score, counts)."""
    if not scores:
        return []
    step = min((WIDTH - 2 * PAD) / len(scores), MAX_STEP)
    bars = []
    for index, (label, score, max_score, counts) in enumerate(scores):
        share = (score or 0.0) / max_score if max_score else 0.0
        height = max(1.0, share * (HEIGHT - 2 * PAD))
        bars.append(Bar(x=PAD + index * step + step * 0.1, y=HEIGHT - PAD - height,
                        width=step * 0.8, height=height, label=label, highlight=counts))
    return bars


def histogram(values: list[float], max_value: float, bins: int = 10) -> list[Bar]:
    """A bar per range of `bins` equal ranges of 0..max_value, as tall as its count."""
    if max_value <= 0:
        return []
    counts = [0] * bins
    for value in values:
        counts[min(bins - 1, max(0, int(value / max_value * bins)))] += 1
    tallest = max(counts) or 1
    step = (WIDTH - 2 * PAD) / bins
    bars = []
    for index, count in enumerate(counts):
        low, high = max_value * index / bins, max_value * (index + 1) / bins
        height = count / tallest * (HEIGHT - 2 * PAD)
        bars.append(Bar(x=PAD + index * step + 1, y=HEIGHT - PAD - height, width=step - 2,
                        height=height, label=f"{low:g}-{high:g}: {count} students"))
    return bars
