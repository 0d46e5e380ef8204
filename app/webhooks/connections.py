"""Connections of one delivery attempt: made only to the addresses the URL policy checked,
each in turn until one takes the connection, and all cut when the attempt's time is up."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable

import httpcore


class Watchdog:
    """Shuts the attempt's connections down at its deadline. A socket timeout bounds each
    read alone: a receiver that sends a byte of its answer every 4.9 s against a 5 s timeout
    would hold a delivery worker for days. Shutting a socket down wakes whatever waits on it
    (connect's TLS handshake, the request's write, the answer's read)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        """Whether the deadline cut the attempt."""
        self._ends_at = time.monotonic() + seconds
        self._watched: list[socket.socket] = []
        self._done = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            for watched in self._watched:
                watched.close()
            self._watched.clear()

    def remaining_s(self) -> float:
        return max(0.0, self._ends_at - time.monotonic())

    def watch(self, connection: socket.socket) -> None:
        """Cuts `connection` at the deadline. A duplicate of its descriptor is kept, so the
        cut reaches the connection also once TLS has wrapped (and detached) the socket, and
        never lands on a descriptor number the system has given to someone else."""
        with self._lock:
            watched = connection.dup()
            self._watched.append(watched)
            if self.fired:
                _cut(watched)

    def _fire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.fired = True
            for watched in self._watched:
                _cut(watched)


def _cut(connection: socket.socket) -> None:
    try:
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected any more: nothing to cut


class PinnedBackend(httpcore.NetworkBackend):
    """Connects to the checked addresses, never to what the URL's name resolves to now (DNS
    rebinding); the request still names the host (Host, SNI, certificate check)."""

    def __init__(self, addresses: Iterable[str], watchdog: Watchdog) -> None:
        self._addresses = tuple(addresses)
        self._watchdog = watchdog
        self._backend = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable | None = None) -> httpcore.NetworkStream:
        """The first address, in the resolver's order, that takes the connection. Each gets
        an equal share of the time left, so an address that drops connections in silence
        (an IPv6 route that goes nowhere) leaves time for the next."""
        failures = []
        for index, address in enumerate(self._addresses):
            share_s = self._watchdog.remaining_s() / (len(self._addresses) - index)
            try:
                stream = self._backend.connect_tcp(address, port, timeout=share_s,
                                                   local_address=local_address,
                                                   socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failures.append(f"{address}: {error or type(error).__name__}")
                continue
            self._watchdog.watch(stream.get_extra_info("socket"))
            return stream
        raise httpcore.ConnectError("no address of the host took the connection ("
                                    + "; ".join(failures) + ")")
