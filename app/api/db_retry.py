"""One retry of a request whose database connection was dropped under it (PostgreSQL
restarted, a backend terminated, a proxy's idle cut): the client sees no error for it.

Safe because a request is one unit of work: its transaction either committed or was rolled
back whole, and its grading jobs are sent only after the commit (app/unit_of_work.py). A
connection dropped before the commit rolled everything back, so the request runs again from
the start, on its recorded body. Pool pre-ping (app/db/engine.py) already replaces a
connection that died while idle in the pool; this covers one that dies while in use."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError
from starlette.types import Message, Receive, Scope, Send

from app.api.http_middleware import HttpMiddleware

log = logging.getLogger(__name__)


# Tries of one request: a burst of terminated backends can hand the retry another dropped
# connection (seen: 2 of 20 uploads answered 500 with one retry, three backends terminated).
ATTEMPTS = 3
# SQLSTATE class 57P, "operator intervention": the server ended the session
# (pg_terminate_backend, shutdown), whether or not the driver saw the socket close yet.
_SERVER_ENDED_SESSION = ("57P01", "57P02", "57P03")


def connection_dropped(error: DBAPIError) -> bool:
    """The statement failed because its connection went away, not because of the request."""
    return error.connection_invalidated or getattr(error.orig, "sqlstate", None) in _SERVER_ENDED_SESSION


class RetryOnDroppedConnection(HttpMiddleware):
    """ASGI middleware: runs the request again (up to ATTEMPTS in all) if it raised a
    DBAPIError whose connection was dropped and no byte of the response was sent."""

    async def handle_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        body: list[Message] = []
        answered = False
        replay = None

        async def recording_receive() -> Message:
            if replay is not None:
                recorded = next(replay, None)
                if recorded is not None:
                    return recorded
            message = await receive()
            if message["type"] == "http.request":
                body.append(message)
            return message

        async def noting_send(message: Message) -> None:
            nonlocal answered
            answered = True
            await send(message)

        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.app({**scope}, recording_receive, noting_send)
                return
            except DBAPIError as error:
                if answered or not connection_dropped(error) or attempt == ATTEMPTS:
                    raise
                log.warning("database connection dropped during a request; running it again",
                            extra={"path": scope.get("path"), "attempt": attempt,
                                   "error": str(error.orig)})
            replay = iter(list(body))
