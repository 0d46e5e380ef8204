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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class RetryOnDroppedConnection:
    """ASGI middleware: runs the request again once if it raised a DBAPIError whose
    connection was invalidated and no byte of the response was sent."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body: list[Message] = []
        answered = False

        async def recording_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message)
            return message

        async def noting_send(message: Message) -> None:
            nonlocal answered
            answered = True
            await send(message)

        try:
            await self.app({**scope}, recording_receive, noting_send)
            return
        except DBAPIError as error:
            if answered or not error.connection_invalidated:
                raise
            log.warning("database connection dropped during a request; running it again",
                        extra={"path": scope.get("path"), "error": str(error.orig)})
        replay = iter(list(body))

        async def replaying_receive() -> Message:
            return next(replay, None) or await receive()

        await self.app({**scope}, replaying_receive, send)
