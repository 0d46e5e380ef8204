"""A course's webhooks: the [course.webhooks] table of its assignment file, or what a TA set
through the API, which replaces it until the TA clears it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.db import webhooks as webhooks_db
from grader.assignment import load_assignment


@dataclass(frozen=True)
class CourseWebhooks:
    """Where a course's grades are told, and where any of its webhooks may go."""

    assignment: str
    urls: tuple[str, ...]
    """Told of every stored grade of the assignment."""
    allowed_hosts: tuple[str, ...]
    """Hosts a course URL or a CI upload's callback_url may name ("*.example.edu" for its
    subdomains); none: no webhooks."""
    source: str
    """"file" (the assignment file) or "api" (set by a TA)."""


def course_webhooks(session: Session, assignment: str) -> CourseWebhooks:
    stored = webhooks_db.find_course_webhooks(session, assignment)
    if stored is not None:
        return CourseWebhooks(assignment, tuple(stored.urls), tuple(stored.allowed_hosts), "api")
    table = load_assignment(assignment).course.get("webhooks", {})
    return CourseWebhooks(assignment, tuple(table.get("urls", ())),
                          tuple(table.get("allowed_hosts", ())), "file")
