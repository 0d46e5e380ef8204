"""Routes of a course's webhooks, under /api/v1/assignments/{name}: settings and deliveries
(TAs only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.api.deps import CurrentUser, NowDep, SessionDep, SettingsDep
from app.api.schemas import CourseWebhooksIn, CourseWebhooksOut, ErrorOut, WebhookDeliveryOut
from app.services import webhooks as service
from app.webhooks.config import CourseWebhooks

router = APIRouter(prefix="/assignments/{name}", tags=["webhooks"],
                   responses={code: {"model": ErrorOut} for code in (401, 403, 404)})


@router.get("/webhooks", response_model=CourseWebhooksOut)
def read_course_webhooks(session: SessionDep, user: CurrentUser, name: str) -> dict:
    """Where the course's grades are told, and which hosts webhooks may go to."""
    return _out(service.read_course_webhooks(session, user, name))


@router.put("/webhooks", response_model=CourseWebhooksOut, responses={422: {"model": ErrorOut}})
def set_course_webhooks(session: SessionDep, user: CurrentUser, name: str,
                        body: CourseWebhooksIn, settings: SettingsDep, now: NowDep) -> dict:
    """Replace the assignment file's webhook settings."""
    return _out(service.set_course_webhooks(session, user, settings, name, body.urls,
                                            body.allowed_hosts, now))


@router.delete("/webhooks", response_model=CourseWebhooksOut)
def clear_course_webhooks(session: SessionDep, user: CurrentUser, name: str) -> dict:
    """Go back to the assignment file's webhook settings."""
    return _out(service.clear_course_webhooks(session, user, name))


@router.get("/webhook-deliveries", response_model=list[WebhookDeliveryOut])
def list_webhook_deliveries(session: SessionDep, user: CurrentUser, name: str,
                            submission: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
                            limit: Annotated[int, Query(ge=1, le=500)] = 100,
                            offset: Annotated[int, Query(ge=0, le=10**9)] = 0) -> list[dict]:
    """List webhook deliveries and the receivers' answers, newest first."""
    deliveries = service.list_deliveries(session, user, name, submission, limit, offset)
    return [{"delivery_id": d.delivery_id, "submission": d.submission_id,
             "generation": d.generation, "url": d.url, "source": d.source, "status": d.status,
             "created_at": d.created_at, "finished_at": d.finished_at,
             "attempts": [{"at": a.at, "duration_s": a.duration_s,
                           "response_status": a.response_status,
                           "response_body": a.response_body, "error": a.error}
                          for a in d.attempts]} for d in deliveries]


def _out(hooks: CourseWebhooks) -> dict:
    return {"assignment": hooks.assignment, "urls": list(hooks.urls),
            "allowed_hosts": list(hooks.allowed_hosts), "source": hooks.source}
