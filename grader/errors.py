"""The grader's own failures, as opposed to the student's: never scored as a zero."""

from __future__ import annotations


class GraderError(Exception):
    """Base of the grader's domain errors."""


class GraderFault(GraderError):
    """The grader or its sandbox failed; the report says `error` and the service retries."""


class AssignmentError(GraderError):
    """The assignment file is missing or malformed (a fault of the deployment)."""
