"""The course rules of an assignment (the [course] table of hidden_tests/<name>.toml):
deadline, late penalty, last day, the hourly cap on uploads, and whether only the latest
upload counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from app.errors import Forbidden, NotFound, RateLimited
from grader.assignment import load_assignment
from grader.errors import AssignmentError

ONE_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class CourseRules:
    """When uploads are on time, late or refused, and how many an hour a student may make."""

    assignment: str
    deadline: datetime | None
    """On or before this an upload is on time."""
    late_penalty_percent_per_day: float
    """Percent of the score taken off per day (or part of one) after the deadline."""
    last_day: datetime | None
    """After this no upload is accepted."""
    submissions_per_hour: int | None
    """Uploads per student in any rolling hour; None: no cap."""
    only_latest_counts: bool = False
    """A student's last upload is their grade: an upload cancels their earlier ones that
    still wait in the queue (app/services/admission.py)."""

    def lateness(self, at: datetime) -> tuple[int, float]:
        """(days late, percent taken off) of an upload at `at`; refuses one past the last day."""
        if self.last_day is not None and at > self.last_day:
            raise Forbidden(f"the last day to submit {self.assignment} was "
                            f"{self.last_day.isoformat()}; uploads are closed")
        if self.deadline is None or at <= self.deadline:
            return 0, 0.0
        days = math.ceil((at - self.deadline) / timedelta(days=1))
        return days, min(100.0, days * self.late_penalty_percent_per_day)

    def check_rate(self, now: datetime, recent_uploads: list[datetime]) -> None:
        """Refuses (429) when the uploads of the last hour, oldest first, reach the cap."""
        if self.submissions_per_hour is None or len(recent_uploads) < self.submissions_per_hour:
            return
        # The upload that frees a slot is the one that leaves the window first.
        frees_at = recent_uploads[-self.submissions_per_hour] + ONE_HOUR
        retry_after_s = max(1, math.ceil((frees_at - now).total_seconds()))
        raise RateLimited(f"at most {self.submissions_per_hour} uploads of {self.assignment} "
                          f"an hour; try again in {retry_after_s} s", retry_after_s)


def load_course_rules(assignment: str) -> CourseRules:
    """The rules of a known assignment; NotFound for any other name."""
    table = _course_table(assignment)
    return CourseRules(
        assignment=assignment,
        deadline=_aware(table.get("deadline")),
        late_penalty_percent_per_day=float(table.get("late_penalty_percent_per_day", 0.0)),
        last_day=_aware(table.get("last_day")),
        submissions_per_hour=table.get("submissions_per_hour"),
        only_latest_counts=bool(table.get("only_latest_counts", False)),
    )


def assignment_exists(assignment: str) -> bool:
    try:
        load_assignment(assignment)
    except AssignmentError:
        return False
    return True


def _course_table(assignment: str) -> dict:
    try:
        return load_assignment(assignment).course
    except AssignmentError:
        raise NotFound(f"no assignment named {assignment!r}") from None


def _aware(value: datetime | None) -> datetime | None:
    # A TOML time without an offset is taken as UTC rather than the server's local zone.
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
