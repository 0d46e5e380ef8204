"""A webhook receiver on a loopback address, for the tests of deliveries: it records every
POST (path, headers, body, time) and answers as the path asks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HANG_LIMIT_S = 90.0
"""How long /hang holds a request before the test's end releases it."""


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class Receiver:
    """Answers a POST as its path says: /ok 200; /fail-once 500, then 200; /slow-once no
    answer for 3 s, then 200; /redirect 302 to /ok; /hang never answers."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.received: list[Received] = []
        self.released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path.split("?")[0]
                seen = sum(r.path == path for r in receiver.received)
                receiver.received.append(Received(self.path.split("?")[0], dict(self.headers),
                                                  body, time.monotonic()))
                if path == "/hang":
                    receiver.released.wait(HANG_LIMIT_S)
                    return
                if path == "/slow-once" and seen == 0:
                    time.sleep(3)
                status = {"/fail-once": 500 if seen == 0 else 200, "/redirect": 302}.get(path, 200)
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/ok")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((address, 0), Handler)
        self.port = self.server.server_address[1]
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
