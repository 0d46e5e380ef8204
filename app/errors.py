"""Domain errors of the service and the one handler that renders them as {"detail": ...}."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


class ServiceError(Exception):
    """A request the service refuses; `status_code` says how HTTP names the refusal."""

    status_code = 400

    def __init__(self, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(ServiceError):
    status_code = 400


class NotAuthenticated(ServiceError):
    status_code = 401

    def __init__(self, detail: str):
        super().__init__(detail, {"WWW-Authenticate": "Bearer"})


class Forbidden(ServiceError):
    status_code = 403


class NotFound(ServiceError):
    status_code = 404


class RequestTimeout(ServiceError):
    status_code = 408


class Conflict(ServiceError):
    status_code = 409


class UploadTooLarge(ServiceError):
    status_code = 413


class UnsupportedUpload(ServiceError):
    status_code = 415


class Unprocessable(ServiceError):
    status_code = 422


class Unavailable(ServiceError):
    status_code = 503


class RateLimited(ServiceError):
    status_code = 429

    def __init__(self, detail: str, retry_after_s: int):
        super().__init__(detail, {"Retry-After": str(retry_after_s)})


async def render_service_error(request: Request, error: ServiceError) -> JSONResponse:
    return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                        headers=error.headers)


async def render_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    # FastAPI's own 422 body is a list of objects; the contract promises one string.
    problems = []
    for item in error.errors():
        where = " ".join(str(part) for part in item.get("loc", ()))
        problems.append(f"{where}: {item.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(problems) or "invalid request"}, status_code=422)


async def render_internal_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette's last-resort handler: it runs outside the app's middleware, so the header
    # every response carries is set here too. Starlette raises the exception again after
    # this answer, and uvicorn logs it.
    return JSONResponse({"detail": "internal server error: the service failed on this "
                                   "request; try again later"}, status_code=500,
                        headers={"X-Content-Type-Options": "nosniff"})


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, render_service_error)
    app.add_exception_handler(RequestValidationError, render_validation_error)
    app.add_exception_handler(Exception, render_internal_error)
