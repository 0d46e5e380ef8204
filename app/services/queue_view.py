"""Where a queued submission stands: its place in line and when it should be graded, from
the order the workers will take the queue in, the grading slots of the workers running and
how long the last grades took."""

from __future__ import annotations

import heapq
import statistics
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db import grades as grades_db
from app.db import submissions as submissions_db
from app.db import workers as workers_db
from app.db.enums import SubmissionStatus
from app.db.models import Submission
from app.worker_presence import SEEN_WITHIN_S

RECENT_GRADES = 20
"""Grades whose median duration is the estimate of one grade."""
FIRST_GRADE_S = 30.0
"""The estimate before any grade was timed: a grade of both files took 20-40 s on the
2-core machine (README, service figures)."""
_SNAPSHOT = "queue_snapshot"


@dataclass(frozen=True)
class QueuePlace:
    """A queued submission's place in line."""

    position: int
    """1: the next one a free worker takes."""
    estimated_start_at: datetime | None
    """None while no worker runs."""
    estimated_graded_at: datetime | None
    graders: int
    """Grading slots of the workers running now."""
    typical_grade_s: float
    """Median duration of the last grades, the estimate of each grade ahead."""

    def to_dict(self) -> dict:
        return {"position": self.position, "estimated_start_at": self.estimated_start_at,
                "estimated_graded_at": self.estimated_graded_at, "graders": self.graders,
                "typical_grade_s": self.typical_grade_s}


def queue_place(session: Session, submission: Submission) -> QueuePlace | None:
    """None unless the submission is queued. The whole line is worked out once per session
    (a list of a hundred submissions reads the queue once)."""
    if submission.status != SubmissionStatus.QUEUED:
        return None
    if _SNAPSHOT not in session.info:
        session.info[_SNAPSHOT] = line_up(session, utc_now())
    return session.info[_SNAPSHOT].get(submission.id)


def line_up(session: Session, now: datetime) -> dict[int, QueuePlace]:
    """Every queued submission's place, by id."""
    durations = grades_db.recent_durations(session, RECENT_GRADES)
    typical_s = round(statistics.median(durations), 1) if durations else FIRST_GRADE_S
    graders = workers_db.live_slots(session, now - timedelta(seconds=SEEN_WITHIN_S),
                                    session.info.get("queue_name"))
    order = take_order(submissions_db.queued_in_broker_order(session))
    starts = _start_offsets(len(order), graders, typical_s,
                            [(now - at).total_seconds()
                             for at in submissions_db.running_since(session)])
    places = {}
    for index, (submission_id, start_s) in enumerate(zip(order, starts)):
        start = None if start_s is None else now + timedelta(seconds=start_s)
        graded = None if start is None else start + timedelta(seconds=typical_s)
        places[submission_id] = QueuePlace(index + 1, start, graded, graders, typical_s)
    return places


def take_order(queued: list[Submission]) -> list[int]:
    """Ids in the order workers will take them: the broker's line, first in first out, and
    each time one of a student's starts, their next held one joins the end
    (app/services/admission.py)."""
    line = deque(s for s in queued if not s.held)
    held = defaultdict(deque)
    for submission in queued:
        if submission.held:
            held[submission.user_id].append(submission)
    order = []
    while line:
        taken = line.popleft()
        order.append(taken.id)
        if held[taken.user_id]:
            line.append(held[taken.user_id].popleft())
    # Held with none of theirs in line (a send lost in a crash): the sweep sends them.
    order += [s.id for waiting in held.values() for s in waiting]
    return order


def _start_offsets(count: int, graders: int, typical_s: float,
                   running_for_s: list[float]) -> list[float | None]:
    """Seconds from now until each of `count` queued grades starts: each slot frees when
    its running grade reaches the typical duration, then takes the next in line."""
    if graders == 0:
        return [None] * count
    free_in_s = [0.0] * graders
    for remaining_s in sorted(max(0.0, typical_s - elapsed_s) for elapsed_s in running_for_s):
        heapq.heappush(free_in_s, heapq.heappop(free_in_s) + remaining_s)
    starts = []
    for _ in range(count):
        start_s = heapq.heappop(free_in_s)
        starts.append(round(start_s, 1))
        heapq.heappush(free_in_s, start_s + typical_s)
    return starts
