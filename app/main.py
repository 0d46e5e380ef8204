"""The FastAPI application: `create_app()` wires settings, database, Redis and the queue."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.db_retry import RetryOnDroppedConnection
from app.api.multipart_form import request_max_bytes, too_large_detail
from app.api.request_body import BoundedRequestBody
from app.api.requeue_timer import run_sweeps
from app.api.response_headers import ResponseHeaders
from app.api.routes import assignments, health, submissions, webhooks
from app.clock import Clock, utc_now
from app.db.engine import make_engine, make_session_factory
from app.errors import install_error_handlers
from app.metrics import make_registry
from app.paths import API_PREFIX
from app.queue import GradeQueue, make_celery, redis_client
from app.settings import Settings, get_settings
from app.web.router import router as web_router
from app.web.routing import render_http_error


def create_app(settings: Settings | None = None, clock: Clock = utc_now,
               sweep: bool = True) -> FastAPI:
    """The API; `clock` tells the time for deadlines and rate limits, `sweep` runs the
    requeue sweep in this process."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        engine = make_engine(settings.database_url)
        redis = redis_client(settings.broker_url)
        state = app.state
        state.settings, state.clock = settings, clock
        state.engine = engine
        state.sessions = make_session_factory(engine, queue_name=settings.queue_name)
        state.redis = redis
        state.queue = GradeQueue(make_celery(settings), settings)
        state.metrics = make_registry(state.sessions, redis, state.queue)
        sweeper = asyncio.create_task(run_sweeps(state)) if sweep else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
            redis.close()
            engine.dispose()

    # The interactive docs load their JavaScript from a CDN, and the schema maps the API for
    # anyone: not in production. No slash redirects: Starlette builds their URL from the
    # client's Host header, so a forged Host would steer a browser elsewhere.
    docs = settings.environment != "production"
    app = FastAPI(title="autograder", version="1", lifespan=lifespan, redirect_slashes=False,
                  openapi_url="/openapi.json" if docs else None,
                  docs_url="/docs" if docs else None, redoc_url="/redoc" if docs else None,
                  description="Upload homework, follow its grading, read reports and scores.")
    install_error_handlers(app)
    # Outermost last: headers go on every answer, the body bounds on every request, a
    # request whose database connection dropped runs again on the body it received.
    app.add_middleware(RetryOnDroppedConnection)
    app.add_middleware(BoundedRequestBody, max_bytes=request_max_bytes(settings),
                       timeout_s=settings.request_body_timeout_s,
                       too_large=too_large_detail(settings))
    app.add_middleware(ResponseHeaders)
    app.include_router(submissions.router, prefix=API_PREFIX)
    app.include_router(assignments.router, prefix=API_PREFIX)
    app.include_router(webhooks.router, prefix=API_PREFIX)
    app.include_router(health.router)
    app.include_router(web_router)
    app.add_exception_handler(StarletteHTTPException, render_http_error)
    return app
