"""Queries on grades (one per submission and generation) and their artifacts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.db.models import Artifact, Grade


def add_grade_once(session: Session, grade: Grade) -> bool:
    """Stores the grade unless one exists for its submission and generation (then False):
    the unique constraint, not a prior read, decides, so two workers racing store one."""
    try:
        with session.begin_nested():
            session.add(grade)
            session.flush()
    except IntegrityError:
        return False
    return True


def find_grade(session: Session, submission_id: int, generation: int) -> Grade | None:
    return session.scalar(select(Grade).where(Grade.submission_id == submission_id,
                                              Grade.generation == generation))


def find_artifact(session: Session, grade_id: int, name: str) -> Artifact | None:
    return session.scalar(select(Artifact).where(Artifact.grade_id == grade_id,
                                                 Artifact.name == name))


def count_grades_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Grade.status, func.count()).group_by(Grade.status))
    return {status: count for status, count in rows}


def duration_histogram(session: Session, bounds_s: Sequence[float]) -> tuple[list[int], int, float]:
    """Cumulative counts of grades at or under each bound, the total count and the sum (s)."""
    columns = [func.coalesce(func.sum(case((Grade.duration_s <= b, 1), else_=0)), 0)
               for b in bounds_s]
    row = session.execute(select(*columns, func.count(Grade.id),
                                 func.coalesce(func.sum(Grade.duration_s), 0.0))).one()
    return [int(v) for v in row[:-2]], int(row[-2]), float(row[-1])


def recent_durations(session: Session, count: int) -> list[float]:
    """Seconds the last `count` timed grades took, newest first (an error stored after the
    retries were spent is not timed: 0 s)."""
    return list(session.scalars(select(Grade.duration_s).where(Grade.duration_s > 0)
                                .order_by(Grade.graded_at.desc()).limit(count)))
