"""Queries on webhook settings, deliveries and their attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db.enums import DeliveryStatus
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


def confirm_sent(session: Session, delivery_pks: list[int], now: datetime) -> None:
    """Notes that the broker took the latest messages of these deliveries."""
    session.execute(update(WebhookDelivery).where(WebhookDelivery.id.in_(delivery_pks))
                    .values(sent_at=now))


def find_unsent(session: Session, created_before: datetime,
                even_sent: bool = False) -> list[WebhookDelivery]:
    """Pending deliveries whose message the broker never took (`even_sent`: every pending
    one)."""
    query = select(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING,
                                          WebhookDelivery.created_at < created_before)
    if not even_sent:
        query = query.where(WebhookDelivery.sent_at.is_(None))
    return list(session.scalars(query.order_by(WebhookDelivery.id)))


def find_pending_sent(session: Session) -> list[WebhookDelivery]:
    """Pending deliveries whose message the broker took."""
    query = select(WebhookDelivery).where(WebhookDelivery.status == DeliveryStatus.PENDING,
                                          WebhookDelivery.sent_at.is_not(None))
    return list(session.scalars(query.order_by(WebhookDelivery.id)))


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
