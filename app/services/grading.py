"""The worker's side of a submission: claim it, grade it with the engine, store one grade."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.db import grades as grades_db
from app.db import submissions as submissions_db
from app.db.enums import EventName, SubmissionStatus
from app.db.models import Artifact, Grade
from app.services.webhooks import schedule_deliveries
from grader.report import Report


class InternalFault(Exception):
    """Grading failed for a reason that is not the student's (sandbox, grader, machine):
    never scored; retried when another try may pass."""

    def __init__(self, message: str, report: Report | None = None, retry: bool = True):
        super().__init__(message)
        self.report = report
        self.retry = retry
        """False for a bug of the grader's own code: it fails the same way every time."""


@dataclass(frozen=True)
class GradingJob:
    """What a worker needs to grade one generation of a submission."""

    submission_id: int
    generation: int
    user_id: int
    """The student it counts for: their next held submission is sent when this starts."""
    assignment: str
    files: dict[str, bytes]
    """"mlp.py" and/or "gd.py" -> source bytes."""


def begin_grading(session: Session, submission_id: int, generation: int, now: datetime,
                  lease_until: datetime | None = None) -> GradingJob | None:
    """The job, with the submission marked running (leased until `lease_until`, which the
    worker renews: app/lease.py); None when there is nothing to do (graded already,
    superseded by a regrade, or deleted)."""
    if not submissions_db.claim_for_grading(session, submission_id, generation, now,
                                            lease_until):
        return None
    submissions_db.add_event(session, submission_id, generation, EventName.STARTED, now)
    submission = submissions_db.get_submission(session, submission_id)
    return GradingJob(submission_id, generation, submission.user_id, submission.assignment,
                      submissions_db.load_files(session, submission_id))


def store_grade(session: Session, job: GradingJob, report: Report, duration_s: float,
                now: datetime) -> bool:
    """Stores the report as this generation's grade, with the late penalty fixed at upload,
    and the webhook deliveries that tell of it; False when a grade for it was stored already
    (the job ran twice)."""
    submission = submissions_db.get_submission(session, job.submission_id)
    keep = 1.0 - submission.late_penalty_percent / 100.0
    grade = Grade(
        submission_id=job.submission_id, generation=job.generation, status=report.status,
        raw_score=report.score, score=round(report.score * keep, 4),
        max_score=report.max_score, seed=report.seed, grader_version=report.grader_version,
        report_student=report.to_dict("student"), report_staff=report.to_dict("staff"),
        duration_s=duration_s, graded_at=now,
        artifacts=[Artifact(name=a.name, media_type=a.media_type, data=a.data)
                   for a in report.artifacts])
    if not grades_db.add_grade_once(session, grade):
        return False
    if submission.generation == job.generation:
        submission.graded_at = now
        submission.lease_until = None
        submissions_db.add_event(session, job.submission_id, job.generation, report.status, now)
        if report.status == SubmissionStatus.GRADED:
            submission.status = SubmissionStatus.GRADED
            submission.score, submission.max_score = grade.score, grade.max_score
        else:  # nothing could be graded: no score at all, rather than a zero
            submission.status = SubmissionStatus.ERROR
        session.flush()
        schedule_deliveries(session, submission, now)
    session.flush()
    return True


def requeue_after_fault(session: Session, submission_id: int, generation: int,
                        now: datetime, fault: str, lease_until: datetime) -> None:
    """Back to queued while the retry the worker holds waits for its time; leased until it
    is due and one lease more, so the sweep requeues it if that worker dies meanwhile."""
    submission = submissions_db.get_submission(session, submission_id)
    if submission is not None and submission.generation == generation \
            and submission.status == SubmissionStatus.RUNNING:
        submission.status = SubmissionStatus.QUEUED
        submission.queued_at = submission.enqueued_at = now
        submission.lease_until = lease_until
        submissions_db.add_event(session, submission_id, generation, EventName.REQUEUED,
                                 now, f"retry after an infrastructure fault: {fault}")
        session.flush()


def run_grader(job: GradingJob) -> Report:
    """The engine's report; InternalFault when the engine failed rather than the student.
    Whatever the file's text makes the engine do, even raise, ends here as a report: the
    engine turns every exception into one."""
    from grader import grade_submission

    grading = grade_submission(job.files, assignment=job.assignment, seed=None)
    if grading.internal_fault:
        raise InternalFault("; ".join(grading.report.errors) or "the grader failed",
                            grading.report, retry=grading.retry)
    return grading.report


def fault_report(fault: InternalFault) -> Report:
    """What is stored when the retries are spent: the engine's error report, or one saying
    in plain words that the fault was the grader's."""
    if fault.report is not None:
        return fault.report
    from grader.version import GRADER_VERSION

    return Report(status="error", score=0.0, max_score=0.0, seed=0,
                  grader_version=GRADER_VERSION,
                  errors=["The grader failed on this submission (not because of your code). "
                          "The course staff can see it and will regrade it."])
