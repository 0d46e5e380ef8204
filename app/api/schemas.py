"""Response bodies of the API (and so its OpenAPI schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from app.db.enums import DeliveryStatus, EventName, SubmissionStatus


class EventOut(BaseModel):
    """One step of a submission's history."""

    at: datetime
    generation: int
    event: EventName | Literal[SubmissionStatus.GRADED, SubmissionStatus.ERROR]
    detail: str | None
    """Why, for a requeue after a fault."""


class QueueOut(BaseModel):
    """Where a queued submission stands (app/services/queue_view.py)."""

    position: int
    """1: the next one a free worker takes; counts every queued submission ahead of it."""
    estimated_start_at: datetime | None
    """When a worker should take it; null while no worker runs."""
    estimated_graded_at: datetime | None
    """When its grade should be stored; null while no worker runs."""
    graders: int
    """Grades the running workers make at once."""
    typical_grade_s: float
    """Seconds one grade is estimated to take: the median of the last 20 grades."""


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
    """Oldest first: accepted, each grading start, requeues after faults, regrades, grades,
    a cancellation."""
    queue: QueueOut | None
    """Its place in line and estimates while it is queued; null otherwise."""
    superseded_by: int | None
    """The later upload that cancelled it (status cancelled)."""


class CourseWebhooksIn(BaseModel):
    """A TA's webhook settings of an assignment; they replace the assignment file's."""

    urls: list[Annotated[str, Field(max_length=2000)]] = Field(max_length=10)
    """Told of every stored grade (a signed POST)."""
    allowed_hosts: list[Annotated[str, Field(max_length=253)]] = Field(max_length=50)
    """Hosts these URLs and CI uploads' callback_url may name; "*.example.edu" for its
    subdomains."""


class CourseWebhooksOut(BaseModel):
    assignment: str
    urls: list[str]
    allowed_hosts: list[str]
    source: Literal["file", "api"]
    """Where they come from: the assignment file, or a TA through this API."""


class WebhookAttemptOut(BaseModel):
    """One POST of a delivery and the receiver's answer."""

    at: datetime
    duration_s: float
    response_status: int | None
    """null when the receiver never answered (timeout, refused connection)."""
    response_body: str | None
    """Its first 1,000 characters."""
    error: str | None


class WebhookDeliveryOut(BaseModel):
    """One grade told to one URL."""

    delivery_id: str
    """Sent as X-Autograder-Delivery and in the body: the same on every attempt."""
    submission: int
    generation: int
    url: str
    source: Literal["course", "callback"]
    status: DeliveryStatus
    created_at: datetime
    finished_at: datetime | None
    attempts: list[WebhookAttemptOut]


class ErrorOut(BaseModel):
    detail: str


class HealthOut(BaseModel):
    status: Literal["ok"]


ScoreRow = dict[str, Any]
