"""The words stored in the database's status and role columns, defined once.

StrEnum members are the strings themselves, so rows, JSON and comparisons need no conversion;
the API schemas and metrics list the members instead of spelling the words again.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who a token belongs to: what it may read and do."""

    STUDENT = "student"
    TA = "ta"
    CI = "ci"


class SubmissionStatus(StrEnum):
    """Where a submission is; graded and error are final until a regrade."""

    QUEUED = "queued"
    RUNNING = "running"
    GRADED = "graded"
    ERROR = "error"
    CANCELLED = "cancelled"
    """Superseded by a later upload of the same student while it still waited (the course
    counts only the latest); kept and listed, never graded."""


class EventName(StrEnum):
    """Steps of a submission's history besides its grade's own status (graded or error)."""

    ACCEPTED = "accepted"
    STARTED = "grading started"
    REQUEUED = "requeued after a fault"
    REGRADED = "regrade requested"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    """Where a webhook delivery is: pending until a receiver answered 2xx or it gave up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"
    """Retries spent, or an answer another try would not change (a redirect, a 4xx)."""
    REFUSED = "refused"
    """Its URL is not one the course allows (host, or an address it resolves to)."""
