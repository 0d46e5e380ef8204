"""Response bodies of the API (and so its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from app.db.enums import EventName, SubmissionStatus


class EventOut(BaseModel):
    """One step of a submission's history."""

    at: datetime
    generation: int
    event: EventName | Literal[SubmissionStatus.GRADED, SubmissionStatus.ERROR]
    detail: str | None
    """Why, for a requeue after a fault."""


class SubmissionOut(BaseModel):
    """A submission as its reader may see it."""

    id: int
    user: str
    assignment: str
    status: SubmissionStatus
    created_at: datetime
    graded_at: datetime | None
    score: float | None
    """After the late penalty."""
    max_score: float | None
    late_days: int
    late_penalty_percent: float
    files: list[str]
    report: dict[str, Any] | None
    """The student view for students and CI, the staff view for TAs; null until graded."""
    history: list[EventOut]
    """Oldest first: accepted, each grading start, requeues after faults, regrades, grades."""


class ErrorOut(BaseModel):
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok"]


ScoreRow = dict[str, Any]
