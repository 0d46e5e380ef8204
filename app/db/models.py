"""Tables of the service: users, submissions and their files, grades and their artifacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.db.types import UTCDateTime


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    """student, ta or ci."""
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    """sha256 hex of the API token; the token itself is shown once and never stored."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("submitted_by_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    """The student it counts for."""
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The student themself, or the CI token that posted for them."""
    assignment: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(10), index=True)
    """queued, running, graded, error or cancelled."""
    generation: Mapped[int] = mapped_column(Integer, default=1)
    """1 at upload, +1 per regrade; a grade is stored once per generation."""
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """Last time it was (re)queued: the sweep's clock for `queued`."""
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """Last time a worker began grading it."""
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the broker took the message of the current (re)queue; None until it did, so a
    message lost between the commit and the broker (Redis down, API killed) is seen."""
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """While running: the worker renews it as it grades; past it, the worker is taken for
    dead and the sweep queues the submission again."""
    graded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    late_days: Mapped[int] = mapped_column(Integer, default=0)
    late_penalty_percent: Mapped[float] = mapped_column(Float, default=0.0)
    """Share of the score taken off for lateness, fixed when it was uploaded."""
    score: Mapped[float | None] = mapped_column(Float)
    """Score after the late penalty, from the current generation's grade."""
    max_score: Mapped[float | None] = mapped_column(Float)
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    """Queued but not yet sent to the broker: the student has their share of the queue
    waiting already (app/services/admission.py); sent when one of theirs starts."""
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"))
    """The later upload that cancelled it (status cancelled)."""
    callback_url: Mapped[str | None] = mapped_column(String(2000))
    """A CI upload's webhook: told when a grade is stored (app/webhooks)."""

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    files: Mapped[list["SubmissionFile"]] = relationship(
        order_by="SubmissionFile.name", cascade="all, delete-orphan")
    events: Mapped[list["SubmissionEvent"]] = relationship(
        order_by="SubmissionEvent.id", cascade="all, delete-orphan")


class SubmissionEvent(Base):
    """One step of a submission's history: accepted, regraded, requeued after a fault."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    event: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(String(200))


class SubmissionFile(Base):
    __tablename__ = "submission_files"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    """mlp.py or gd.py."""
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Grade(Base):
    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("submission_id", "generation"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    """graded or error, as in the report."""
    raw_score: Mapped[float] = mapped_column(Float)
    """The report's score, before the late penalty."""
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    grader_version: Mapped[str] = mapped_column(String(40))
    report_student: Mapped[dict] = mapped_column(JSON)
    report_staff: Mapped[dict] = mapped_column(JSON)
    duration_s: Mapped[float] = mapped_column(Float)
    graded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    artifacts: Mapped[list["Artifact"]] = relationship(cascade="all, delete-orphan")


class Artifact(Base):
    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("grade_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grade_id: Mapped[int] = mapped_column(ForeignKey("grades.id"))
    name: Mapped[str] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class GradingWorker(Base):
    """A running worker's grading slots, renewed while it lives: the queue's estimates
    count the slots of the workers seen lately (app/worker_presence.py)."""

    __tablename__ = "grading_workers"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    """Celery's hostname of the worker (grader-<pid>@<host>)."""
    queue: Mapped[str] = mapped_column(String(200))
    slots: Mapped[int] = mapped_column(Integer)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CourseWebhooks(Base):
    """A TA's webhook settings of an assignment; they replace its file's [webhooks] table."""

    __tablename__ = "course_webhooks"

    assignment: Mapped[str] = mapped_column(String(64), primary_key=True)
    urls: Mapped[list] = mapped_column(JSON)
    allowed_hosts: Mapped[list] = mapped_column(JSON)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One grade told to one URL: the same delivery id on every attempt."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(String(36), unique=True)
    """A UUID, sent as X-Autograder-Delivery: receivers drop one they saw (replay)."""
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    assignment: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    source: Mapped[str] = mapped_column(String(10))
    """course (its settings) or callback (the upload's callback_url)."""
    status: Mapped[str] = mapped_column(String(10))
    """pending, delivered, failed or refused."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the broker took its latest message (the first, or one the sweep sent again);
    None until then, so one lost on the way (Redis down when the grade was committed) is
    sent again by the sweep."""
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attempts: Mapped[list["WebhookAttempt"]] = relationship(
        order_by="WebhookAttempt.id", cascade="all, delete-orphan", lazy="selectin")


class WebhookAttempt(Base):
    """One POST of a delivery and what came back."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_s: Mapped[float] = mapped_column(Float)
    response_status: Mapped[int | None] = mapped_column(Integer)
    """The receiver's HTTP status; None when it never answered."""
    response_body: Mapped[str | None] = mapped_column(Text)
    """Its first 1,000 characters."""
    error: Mapped[str | None] = mapped_column(String(300))
    """Why the attempt failed: a timeout, a refused connection, a refused address."""
