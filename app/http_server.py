"""Bounds on a request's head (request line and headers), which the HTTP server reads before
the app sees anything. uvicorn's httptools protocol bounds neither its size nor its time: a
64 MB Authorization header was read whole (+47 MB of server memory for 16 MB), and a client
that sent half a request line held its connection for ever. Its protocol is extended here."""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.settings import Settings

HEAD_END = b"\r\n\r\n"


class BoundedHeadProtocol(HttpToolsProtocol):
    """httptools' protocol with a cap on each request's head (431) and a deadline for it
    (408). Bytes are counted before the parser sees them, so it never holds more than the
    cap plus one read (at most 256 KB) of a head."""

    max_head_bytes = 16 * 1024
    head_timeout_s = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_bytes: int | None = 0
        """Bytes of the current head so far; None while no head is being read."""
        self._tail = b""
        self._head_timer: asyncio.TimerHandle | None = None
        self._start_head_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_clock()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_bytes is not None:
            # The head ends at the first blank line; the tail of the last read finds one
            # split across two reads.
            end = (self._tail + data).find(HEAD_END)
            self._head_bytes += len(data) if end < 0 else end + len(HEAD_END) - len(self._tail)
            self._tail = data[-(len(HEAD_END) - 1):]
            if self._head_bytes > self.max_head_bytes:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                             f"the request line and headers are larger than "
                             f"{self.max_head_bytes // 1024} KB")
                return
        super().data_received(data)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:
            self._start_head_clock()

    def on_headers_complete(self) -> None:
        self._stop_head_clock()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        # Whatever comes next on this connection is the next request's head. Its clock starts
        # with its first byte; until then uvicorn's keep-alive timeout bounds the wait.
        self._head_bytes, self._tail = 0, b""

    def _start_head_clock(self) -> None:
        if self._head_bytes is None:
            self._head_bytes, self._tail = 0, b""
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_too_slow)

    def _stop_head_clock(self) -> None:
        self._head_bytes = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_too_slow(self) -> None:
        self._head_timer = None
        self._refuse(HTTPStatus.REQUEST_TIMEOUT,
                     f"the request line and headers did not arrive within "
                     f"{self.head_timeout_s:g} s")

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        """Answers and closes; nothing more of this connection is read."""
        self._stop_head_clock()
        if self.transport.is_closing():
            return
        if self.cycle is None or self.cycle.response_complete:  # not mid-way through a response
            body = json.dumps({"detail": detail}).encode()
            self.transport.write(
                f"HTTP/1.1 {status.value} {status.phrase}\r\n"
                "content-type: application/json\r\nx-content-type-options: nosniff\r\n"
                f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
        self.transport.close()


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of uvicorn.run() and uvicorn.Config() for these settings."""
    protocol = type("BoundedHeadProtocol", (BoundedHeadProtocol,), {
        "max_head_bytes": settings.request_header_max_kb * 1024,
        "head_timeout_s": settings.request_header_timeout_s})
    return {"http": protocol}
