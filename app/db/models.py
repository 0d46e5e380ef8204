"""Tables of the service: users, submissions and their files, grades and their artifacts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
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
    """queued, running, graded or error."""
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
