"""Queries on webhook settings, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.db.models import CourseWebhooks, WebhookAttempt, WebhookDelivery


def find_course_webhooks(session: Session, assignment: str) -> CourseWebhooks | None:
    return session.get(CourseWebhooks, assignment)


def store_course_webhooks(session: Session, assignment: str, urls: list[str],
                          allowed_hosts: list[str], updated_by_id: int, now: datetime) -> None:
    row = session.get(CourseWebhooks, assignment)
    if row is None:
        row = CourseWebhooks(assignment=assignment)
        session.add(row)
    row.urls, row.allowed_hosts = urls, allowed_hosts
    row.updated_by_id, row.updated_at = updated_by_id, now
    session.flush()


def clear_course_webhooks(session: Session, assignment: str) -> None:
    session.execute(delete(CourseWebhooks).where(CourseWebhooks.assignment == assignment))


def add_delivery(session: Session, delivery: WebhookDelivery) -> WebhookDelivery:
    session.add(delivery)
    session.flush()
    return delivery


def get_delivery(session: Session, delivery_pk: int) -> WebhookDelivery | None:
    return session.get(WebhookDelivery, delivery_pk)


def add_attempt(session: Session, attempt: WebhookAttempt) -> None:
    session.add(attempt)
    session.flush()


def list_deliveries(session: Session, assignment: str, submission_id: int | None,
                    limit: int, offset: int) -> list[WebhookDelivery]:
    """Newest first."""
    query = select(WebhookDelivery).where(WebhookDelivery.assignment == assignment)
    if submission_id is not None:
        query = query.where(WebhookDelivery.submission_id == submission_id)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc())
                                .limit(limit).offset(offset)))
