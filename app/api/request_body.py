"""Bounds on a request's body whatever its framing (Content-Length or chunked): its bytes are
counted as they arrive and the whole body has a deadline, so a slow or endless upload costs a
socket for a bounded time, never a parser's temporary file. A response sent before the body
was read to its end closes the connection, so the rest is never read."""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.http_middleware import HttpMiddleware
from app.errors import RequestTimeout, UploadTooLarge


class BoundedRequestBody(HttpMiddleware):
    """ASGI middleware: 413 past `max_bytes`, 408 past `timeout_s` (raised from `receive`,
    so the app's error handler renders them), `Connection: close` on an early answer."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float, too_large: str):
        super().__init__(app)
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self.too_large = too_large
        """The 413's detail."""

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = _Body(self, receive, announces_body(scope))

        async def send_closing_early(message: Message) -> None:
            if message["type"] == "http.response.start" and not body.complete:
                message = {**message, "headers": [*message.get("headers", ()),
                                                  (b"connection", b"close")]}
            await send(message)

        await self.app(scope, body.receive, send_closing_early)


def announces_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False


class _Body:
    """One request's body as the app receives it: counted, and on a deadline."""

    def __init__(self, bounds: BoundedRequestBody, receive: Receive, expected: bool):
        self._bounds = bounds
        self._receive = receive
        self._deadline = asyncio.get_running_loop().time() + bounds.timeout_s
        self.received_bytes = 0
        self.complete = not expected
        """The last part of the body was received (or none was announced)."""

    async def receive(self) -> Message:
        if self.complete:  # only a disconnect is left to hear, whenever it comes
            return await self._receive()
        remaining_s = self._deadline - asyncio.get_running_loop().time()
        try:
            message = await asyncio.wait_for(self._receive(), max(remaining_s, 0.0))
        except TimeoutError:
            raise RequestTimeout(f"the request's body did not arrive within "
                                 f"{self._bounds.timeout_s:g} s") from None
        if message["type"] == "http.request":
            self.received_bytes += len(message.get("body", b""))
            if self.received_bytes > self._bounds.max_bytes:
                raise UploadTooLarge(self._bounds.too_large)
            self.complete = not message.get("more_body", False)
        return message
