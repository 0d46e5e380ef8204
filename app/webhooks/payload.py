"""The body of a webhook: the summary of a stored grade."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime


@dataclass(frozen=True)
class GradeSummary:
    """What a receiver is told of a stored grade; the report itself is behind report_url,
    for a token that may read it."""

    id: int
    user: str
    assignment: str
    generation: int
    """1 for the upload, +1 per regrade."""
    status: str
    """graded or error."""
    score: float | None
    """After the late penalty; null for error."""
    max_score: float | None
    graded_at: str
    report_url: str


def webhook_body(delivery_id: str, sent_at: datetime, summary: GradeSummary) -> bytes:
    """The bytes signed and sent: the same fields in the same order every time."""
    return json.dumps({"event": "grade.stored", "delivery_id": delivery_id,
                       "timestamp": int(sent_at.timestamp()),
                       "submission": asdict(summary)}, separators=(",", ":")).encode()
