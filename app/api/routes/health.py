"""Liveness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from app.api.schemas import ErrorOut, HealthOut
from app.db.engine import database_problem
from app.errors import Unavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthOut, responses={503: {"model": ErrorOut}})
def read_health(request: Request) -> dict:
    """Say whether the API can serve a request: 503 when its database cannot."""
    problem = database_problem(request.app.state.engine)
    if problem:
        raise Unavailable(problem)
    return {"status": "ok"}


@router.get("/metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def read_metrics(request: Request) -> Response:
    """Prometheus metrics: queue depth, grades by status, grade duration."""
    return Response(generate_latest(request.app.state.metrics), media_type=CONTENT_TYPE_LATEST)
