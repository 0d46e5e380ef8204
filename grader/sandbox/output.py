"""Bounded capture of a job's stdout and stderr.

A job can print gigabytes; the grader keeps the first `limit` bytes of each stream and reads
and drops the rest as it arrives, so memory stays bounded and the job never blocks on a full
pipe (a blocked job would otherwise look like a wall-time overrun).
"""

from __future__ import annotations

import os
import selectors
import time
from typing import Iterable


class BoundedCapture:
    """The first `limit` bytes read from one pipe; later bytes are counted, not kept."""

    CHUNK_BYTES = 65536
    """One read(); a pipe holds 64 KiB on Linux, so one read usually empties it."""

    def __init__(self, fd: int, limit: int) -> None:
        self.fd = fd
        self.limit = limit
        self._kept = bytearray()
        self.dropped_bytes = 0
        self.closed = False

    def read_available(self) -> None:
        """One read; call when the pipe is readable. Marks the capture closed at EOF."""
        try:
            chunk = os.read(self.fd, self.CHUNK_BYTES)
        except BlockingIOError:
            return
        if not chunk:
            self.closed = True
            return
        room = self.limit - len(self._kept)
        if room > 0:
            self._kept += chunk[:room]
        self.dropped_bytes += max(0, len(chunk) - max(room, 0))

    @property
    def data(self) -> bytes:
        return bytes(self._kept)


def drain(captures: Iterable[BoundedCapture], within_s: float) -> None:
    """Read what is left in the pipes after the job's processes died. Bounded in time: a
    pipe whose writer escaped the kill would otherwise never reach EOF."""
    deadline = time.monotonic() + within_s
    selector = selectors.DefaultSelector()
    for capture in captures:
        if not capture.closed:
            os.set_blocking(capture.fd, False)
            selector.register(capture.fd, selectors.EVENT_READ, capture)
    while selector.get_map() and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.05):
            key.data.read_available()
            if key.data.closed:
                selector.unregister(key.fd)
    selector.close()
