"""Headers every response carries: browsers never guess a type other than the one sent (a
report or an image is never run as a page), and nothing under /api/ is kept by a cache,
since every answer there is one user's submissions, reports or scores."""

from __future__ import annotations

from starlette.types import Message, Receive, Scope, Send

from app.api.http_middleware import HttpMiddleware

PRIVATE_PREFIX = "/api/"


class ResponseHeaders(HttpMiddleware):
    """ASGI middleware adding `X-Content-Type-Options: nosniff` everywhere and
    `Cache-Control: no-store` under /api/."""

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        extra = [(b"x-content-type-options", b"nosniff")]
        if scope["path"].startswith(PRIVATE_PREFIX):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
