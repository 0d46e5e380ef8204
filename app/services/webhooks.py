"""Webhooks in the course's words: where they may go (checked when a TA sets them and when a
CI upload names a callback_url), one delivery recorded per URL when a grade is stored, each
attempt made and written down, and what a TA reads of them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.clock import utc_now
from app.course import assignment_exists
from app.db import grades as grades_db
from app.db import submissions as submissions_db
from app.db import webhooks as webhooks_db
from app.db.enums import DeliveryStatus, Role, SubmissionStatus
from app.db.models import Submission, User, WebhookAttempt, WebhookDelivery
from app.errors import Forbidden, NotFound, Unprocessable
from app.settings import Settings
from app.unit_of_work import deliver_after_commit
from app.webhooks.config import CourseWebhooks, course_webhooks
from app.webhooks.payload import GradeSummary, webhook_body
from app.webhooks.sender import AttemptResult, post
from app.webhooks.signing import DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from app.webhooks.url_policy import RefusedUrl, resolve_target

MAX_COURSE_URLS = 10


def check_callback_url(session: Session, settings: Settings, assignment: str, url: str) -> str:
    """A CI upload's callback_url, refused (422, saying why) unless the course can sign
    webhooks and allows its host and the addresses it resolves to."""
    _require_secret(settings, assignment)
    hooks = course_webhooks(session, assignment)
    try:
        resolve_target(url, hooks.allowed_hosts, settings.webhook_allowed_networks)
    except RefusedUrl as refusal:
        raise Unprocessable(f"callback_url refused: {refusal}") from None
    return url


def read_course_webhooks(session: Session, reader: User, assignment: str) -> CourseWebhooks:
    _require_ta(reader, assignment)
    return course_webhooks(session, assignment)


def set_course_webhooks(session: Session, reader: User, settings: Settings, assignment: str,
                        urls: list[str], allowed_hosts: list[str],
                        now: datetime) -> CourseWebhooks:
    """Replaces the file's settings; every URL is checked as a delivery would check it."""
    _require_ta(reader, assignment)
    if len(urls) > MAX_COURSE_URLS:
        raise Unprocessable(f"at most {MAX_COURSE_URLS} webhook URLs per course")
    if urls:
        _require_secret(settings, assignment)
    for url in urls:
        try:
            resolve_target(url, allowed_hosts, settings.webhook_allowed_networks)
        except RefusedUrl as refusal:
            raise Unprocessable(f"webhook URL refused: {refusal}") from None
    webhooks_db.store_course_webhooks(session, assignment, urls, allowed_hosts, reader.id, now)
    return course_webhooks(session, assignment)


def clear_course_webhooks(session: Session, reader: User, assignment: str) -> CourseWebhooks:
    """Back to the assignment file's settings."""
    _require_ta(reader, assignment)
    webhooks_db.clear_course_webhooks(session, assignment)
    session.flush()
    return course_webhooks(session, assignment)


def list_deliveries(session: Session, reader: User, assignment: str, submission_id: int | None,
                    limit: int, offset: int) -> list[WebhookDelivery]:
    _require_ta(reader, assignment)
    return webhooks_db.list_deliveries(session, assignment, submission_id, limit, offset)


def schedule_deliveries(session: Session, submission: Submission, now: datetime) -> None:
    """One delivery per course URL and for the upload's callback_url, sent once the grade
    they tell of is committed (app/unit_of_work.py)."""
    urls = [(url, "course") for url in course_webhooks(session, submission.assignment).urls]
    if submission.callback_url:
        urls.append((submission.callback_url, "callback"))
    for url, source in urls:
        delivery = webhooks_db.add_delivery(session, WebhookDelivery(
            delivery_id=str(uuid.uuid4()), submission_id=submission.id,
            generation=submission.generation, assignment=submission.assignment, url=url,
            source=source, status=DeliveryStatus.PENDING, created_at=now))
        deliver_after_commit(session, delivery.id, attempts_made=0)


def resend_unsent(session: Session, now: datetime, after_s: float,
                  broker_restarted: bool = False) -> list[int]:
    """Sends again, after the commit, the deliveries whose message the broker never took
    (after the sender's grace), and every pending one when the broker restarted (its lists
    may be lost; a receiver drops a delivery id it saw); their ids."""
    unsent = webhooks_db.find_unsent(session, now - timedelta(seconds=after_s),
                                     even_sent=broker_restarted)
    for delivery in unsent:
        deliver_after_commit(session, delivery.id, len(delivery.attempts))
    return [delivery.id for delivery in unsent]


def resend_overdue(session: Session, settings: Settings, now: datetime) -> list[int]:
    """Sends again the pending deliveries whose next attempt is webhook_overdue_after_s
    late: their delivery worker died holding the message (Redis would hand it on only after
    its visibility timeout, an hour). The message carries the attempts made, so the old one,
    if it ever comes back, is dropped; their ids."""
    late = timedelta(seconds=settings.webhook_overdue_after_s)
    overdue = [delivery for delivery in webhooks_db.find_pending_sent(session)
               if now - next_attempt_due(delivery, settings) > late]
    for delivery in overdue:
        deliver_after_commit(session, delivery.id, len(delivery.attempts))
    return [delivery.id for delivery in overdue]


def next_attempt_due(delivery: WebhookDelivery, settings: Settings) -> datetime:
    """When the delivery's next attempt should start: as soon as its latest message was
    taken by the broker, and not before the backoff after its last attempt."""
    if not delivery.attempts:
        return delivery.sent_at
    backoff = timedelta(seconds=retry_delay_s(settings, len(delivery.attempts)))
    return max(delivery.sent_at, delivery.attempts[-1].at + backoff)


def retry_delay_s(settings: Settings, attempts_made: int) -> float:
    """The wait after the `attempts_made`-th failed attempt: doubled after each."""
    return settings.webhook_retry_delay_s * 2 ** (attempts_made - 1)


@dataclass(frozen=True)
class FollowingAttempt:
    """The attempt a failed one calls for."""

    in_s: float
    attempts_made: int
    """Attempts recorded before it: its message carries this, and is dropped if it differs."""


def attempt_delivery(sessions: sessionmaker[Session], settings: Settings, delivery_pk: int,
                     attempts_made: int | None = None) -> FollowingAttempt | None:
    """Makes the delivery's next attempt and records it; the attempt after it, or None when
    it is done (delivered, failed, refused) or when this message is stale (`attempts_made`
    differs from the attempts recorded: the sweep sent the delivery again). No transaction is
    open while the receiver is waited for."""
    with sessions.begin() as session:
        delivery = webhooks_db.get_delivery(session, delivery_pk)
        if delivery is None or delivery.status != DeliveryStatus.PENDING:
            return None
        attempts_before = len(delivery.attempts)
        if attempts_made is not None and attempts_made != attempts_before:
            return None
        summary = _summary(session, settings, delivery)
        allowed_hosts = course_webhooks(session, delivery.assignment).allowed_hosts
        url, delivery_uuid, assignment = delivery.url, delivery.delivery_id, delivery.assignment
    result, final = _attempt(settings, assignment, url, allowed_hosts, delivery_uuid, summary)
    if final is None and (not result.worth_retrying
                          or attempts_before + 1 >= settings.webhook_max_attempts):
        final = DeliveryStatus.FAILED
    with sessions.begin() as session:
        delivery = webhooks_db.get_delivery(session, delivery_pk)
        webhooks_db.add_attempt(session, WebhookAttempt(
            delivery_id=delivery_pk, at=utc_now(), duration_s=result.duration_s,
            response_status=result.status, response_body=result.body, error=result.error))
        if final is not None:
            delivery.status, delivery.finished_at = final, utc_now()
    if final is not None:
        return None
    return FollowingAttempt(retry_delay_s(settings, attempts_before + 1), attempts_before + 1)


def _attempt(settings: Settings, assignment: str, url: str, allowed_hosts, delivery_uuid: str,
             summary: GradeSummary) -> tuple[AttemptResult, DeliveryStatus | None]:
    secret = settings.webhook_secrets.get(assignment)
    if secret is None:
        return AttemptResult(0.0, None, None, f"no signing secret for {assignment} on the "
                             "server (AUTOGRADER_WEBHOOK_SECRETS)"), DeliveryStatus.FAILED
    try:
        target = resolve_target(url, allowed_hosts, settings.webhook_allowed_networks)
    except RefusedUrl as refusal:
        return AttemptResult(0.0, None, None, str(refusal)[:300]), DeliveryStatus.REFUSED
    sent_at = utc_now()
    body = webhook_body(delivery_uuid, sent_at, summary)
    headers = {"Content-Type": "application/json", "User-Agent": "autograder-webhooks",
               DELIVERY_HEADER: delivery_uuid, TIMESTAMP_HEADER: str(int(sent_at.timestamp())),
               SIGNATURE_HEADER: sign(body, secret)}
    result = post(target, body, headers, settings.webhook_timeout_s)
    return result, DeliveryStatus.DELIVERED if result.delivered else None


def _summary(session: Session, settings: Settings, delivery: WebhookDelivery) -> GradeSummary:
    submission = submissions_db.get_submission(session, delivery.submission_id)
    grade = grades_db.find_grade(session, delivery.submission_id, delivery.generation)
    scored = grade.status == SubmissionStatus.GRADED
    return GradeSummary(
        id=submission.id, user=submission.user.name, assignment=submission.assignment,
        generation=delivery.generation, status=grade.status,
        score=grade.score if scored else None, max_score=grade.max_score if scored else None,
        graded_at=grade.graded_at.isoformat(),
        report_url=f"{settings.public_url.rstrip('/')}/api/v1/submissions/{submission.id}")


def _require_secret(settings: Settings, assignment: str) -> None:
    if assignment not in settings.webhook_secrets:
        raise Unprocessable(f"webhooks are not set up for {assignment}: the server has no "
                            "signing secret for it (AUTOGRADER_WEBHOOK_SECRETS); ask the "
                            "course staff")


def _require_ta(reader: User, assignment: str) -> None:
    if reader.role != Role.TA:
        raise Forbidden("only TAs read and set a course's webhooks")
    if not assignment_exists(assignment):
        raise NotFound(f"no assignment named {assignment!r}")
