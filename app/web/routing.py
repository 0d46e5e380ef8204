"""How every page answers: HTML errors instead of JSON, and the headers that lock a page down.

Pages use the services' domain errors as the API does; here they become a readable page (or
the JSON the page's own scripts read) with the same status code and sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import ServiceError
from app.paths import API_PREFIX

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

# Everything from this server only: no inline script or style, no CDN, no framing.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self'; connect-src 'self'; object-src 'none'; "
                           "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# An image opened on its own: the browser's image viewer styles it inline, and nothing else
# may run (sandbox: no script, no form, its own origin).
IMAGE_SECURITY_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Every page shows one user's submissions: no shared or back-button cache keeps it.
    "Cache-Control": "no-store",
}


class SignInRequired(ServiceError):
    """No session, or its token no longer names a user: back to the sign-in page."""

    status_code = 401


def wants_json(request: Request) -> bool:
    """The page's own scripts ask for JSON; a browser navigating asks for HTML."""
    return "application/json" in request.headers.get("accept", "")


def render_error(request: Request, error: ServiceError) -> Response:
    if wants_json(request):
        return JSONResponse({"detail": error.detail}, status_code=error.status_code,
                            headers=error.headers)
    if isinstance(error, SignInRequired):
        return RedirectResponse("/", status_code=303)
    return templates.TemplateResponse(request, "error.html", {
        "status_code": error.status_code, "detail": error.detail,
        "retry_after_s": error.headers.get("Retry-After")},
        status_code=error.status_code, headers=error.headers)


async def render_http_error(request: Request, error: StarletteHTTPException) -> Response:
    """A browser that follows a wrong link gets a page; API clients and the pages' scripts
    keep FastAPI's JSON answer."""
    navigating = "text/html" in request.headers.get("accept", "") and not wants_json(request)
    if error.status_code != 404 or not navigating or request.url.path.startswith(API_PREFIX):
        return await http_exception_handler(request, error)
    return templates.TemplateResponse(request, "error.html", {
        "status_code": 404, "detail": f"There is no page at {request.url.path}.",
        "retry_after_s": None}, status_code=404, headers=PAGE_HEADERS)


class PageRoute(APIRoute):
    """An APIRoute whose domain errors render as pages and whose answers carry PAGE_HEADERS."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except ServiceError as error:
                response = render_error(request, error)
            for name, value in PAGE_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return handle
