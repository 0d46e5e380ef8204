"""What a reader sees of a submission: students the student view of the report, TAs the staff
view, and the late penalty as it was applied."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.db import grades as grades_db
from app.db.enums import Role
from app.db.models import Artifact, Submission, User
from app.errors import NotFound
from app.paths import artifact_path
from app.services.queue_view import queue_place
from app.services.submissions import read_submission


def describe_submission(session: Session, reader: User, submission: Submission) -> dict:
    grade = grades_db.find_grade(session, submission.id, submission.generation)
    report = None
    if grade is not None:
        report = dict(grade.report_staff if reader.role == Role.TA else grade.report_student)
        report["artifacts"] = [
            {**artifact, "url": artifact_path(submission.id, artifact["name"])}
            for artifact in report.get("artifacts", [])]
        report["late_days"] = submission.late_days
        report["late_penalty_percent"] = submission.late_penalty_percent
        report["score_before_penalty"] = grade.raw_score
    return {
        "id": submission.id, "user": submission.user.name, "assignment": submission.assignment,
        "status": submission.status, "created_at": submission.created_at,
        "graded_at": submission.graded_at, "score": submission.score,
        "max_score": submission.max_score, "late_days": submission.late_days,
        "late_penalty_percent": submission.late_penalty_percent,
        "files": sorted(f.name for f in submission.files), "report": report,
        "history": [{"at": e.at, "generation": e.generation, "event": e.event,
                     "detail": e.detail} for e in submission.events],
        "queue": (place.to_dict() if (place := queue_place(session, submission)) else None),
        "superseded_by": submission.superseded_by_id,
    }


def read_artifact(session: Session, reader: User, submission_id: int, name: str) -> Artifact:
    """A file of the current grade, such as the gd.py image."""
    submission = read_submission(session, reader, submission_id)
    grade = grades_db.find_grade(session, submission.id, submission.generation)
    artifact = None if grade is None else grades_db.find_artifact(session, grade.id, name)
    if artifact is None:
        raise NotFound(f"submission {submission_id} has no artifact {name!r}")
    return artifact
