"""A report (the JSON of the contract) arranged for reading: mlp items by layer with forward
and backward side by side, gd checks apart, each with the share of its points earned."""

from __future__ import annotations

from dataclasses import dataclass, field

LAYER_ORDER = ["linear", "relu", "sigmoid", "identity", "mse_loss", "bce_loss"]
STATUS_WORDS = {"passed": ("passed", "✓"), "failed": ("failed", "✗"),
                "error": ("error", "!"), "skipped": ("skipped", "–")}
"""Every status is said in a word and a sign as well as a colour."""


@dataclass(frozen=True)
class ItemView:
    """One scored item of the report."""

    name: str
    direction: str
    status: str
    score: float
    max_score: float
    output: str
    staff_output: str
    """Empty for students (their report has none)."""

    @property
    def share(self) -> float:
        """Share of the points earned, 0..1 (a skipped item of 0 points reads as 0)."""
        return self.score / self.max_score if self.max_score else 0.0

    @property
    def word(self) -> str:
        return STATUS_WORDS.get(self.status, (self.status, "?"))[0]

    @property
    def icon(self) -> str:
        return STATUS_WORDS.get(self.status, (self.status, "?"))[1]


@dataclass(frozen=True)
class LayerView:
    """An mlp layer: its forward and backward items (either may be missing)."""

    layer: str
    forward: ItemView | None
    backward: ItemView | None


@dataclass(frozen=True)
class ImageView:
    """A picture the grade produced, served by the page's image route."""

    name: str
    url: str


@dataclass
class ReportView:
    """What the report page shows."""

    status: str
    score: float
    """After the late penalty."""
    max_score: float
    seed: int
    grader_version: str
    score_before_penalty: float | None
    late_days: int
    late_penalty_percent: float
    layers: list[LayerView] = field(default_factory=list)
    gd_items: list[ItemView] = field(default_factory=list)
    integrity: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    images: list[ImageView] = field(default_factory=list)


def _item(test: dict) -> ItemView:
    return ItemView(name=test["name"], direction=test.get("direction", ""),
                    status=test.get("status", "error"), score=float(test.get("score", 0.0)),
                    max_score=float(test.get("max_score", 0.0)), output=test.get("output", ""),
                    staff_output=test.get("staff_output", ""))


def view_report(submission: dict) -> ReportView:
    """The report of a submission as describe_submission gives it (the student or staff
    view); its score is the submission's, after any late penalty."""
    report, submission_id = submission["report"], submission["id"]
    by_layer: dict[str, dict[str, ItemView]] = {}
    gd_items = []
    for test in report.get("tests", []):
        item = _item(test)
        if test["name"].startswith("mlp."):
            by_layer.setdefault(test.get("layer", ""), {})[item.direction] = item
        else:
            gd_items.append(item)
    order = LAYER_ORDER + sorted(set(by_layer) - set(LAYER_ORDER))
    layers = [LayerView(layer, by_layer[layer].get("forward"), by_layer[layer].get("backward"))
              for layer in order if layer in by_layer]
    images = [ImageView(a["name"], f"/submissions/{submission_id}/images/{a['name']}")
              for a in report.get("artifacts", []) if a.get("media_type", "").startswith("image/")]
    return ReportView(
        status=report.get("status", "error"), score=float(submission["score"] or 0.0),
        max_score=float(submission["max_score"] or 0.0), seed=report.get("seed", 0),
        grader_version=report.get("grader_version", ""),
        score_before_penalty=report.get("score_before_penalty"),
        late_days=report.get("late_days", 0),
        late_penalty_percent=report.get("late_penalty_percent", 0.0),
        layers=layers, gd_items=gd_items,
        integrity=[flag.get("message", "") for flag in report.get("integrity", [])],
        errors=list(report.get("errors", [])), notes=list(report.get("notes", [])),
        images=images)
