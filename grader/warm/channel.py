"""The trusted end of a zygote's control connection: one SOCK_SEQPACKET unix socket, one
small JSON object per packet, file descriptors passed alongside (SCM_RIGHTS).

Why a socket and not the zygote's stdin/stdout: a packet keeps message boundaries, carries
the job's stdout/stderr pipes to the zygote, and is connected only once. The listening
socket lives in the zygote's /work for the moment it takes to connect; it is unlinked and
closed right after the one accepted connection, before any job runs, so no job can reach
the control channel (the connection itself is closed in every job process right after fork).
"""

from __future__ import annotations

import json
import os
import select
import socket
import struct
import time
from pathlib import Path
from typing import Callable

from grader.warm.errors import ReplyTimeout, ZygoteLost

PACKET_BYTES = 65536
"""Largest message accepted from a zygote; real ones are under 1 KiB. Longer: broken."""
SOCKET_NAME = ".warm-control.sock"


class Listener:
    """A listening socket in the zygote's work dir, for its single connection."""

    def __init__(self, directory: Path, uid: int, gid: int) -> None:
        self.path = directory / SOCKET_NAME
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(str(self.path))
        # connect() needs write permission on the socket file; only the sandbox uid gets it.
        os.chown(self.path, uid, gid)
        os.chmod(self.path, 0o600)
        self.sock.listen(1)
        self.uid = uid

    def accept(self, timeout_s: float, alive: Callable[[], bool]) -> "Channel":
        """The zygote's connection, checked to come from the sandbox uid; the listener is
        gone afterwards whatever happens."""
        deadline = time.monotonic() + timeout_s
        try:
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ZygoteLost(f"the zygote did not connect within {timeout_s:g} s")
                ready, _, _ = select.select([self.sock], [], [], min(0.2, remaining))
                if ready:
                    conn, _ = self.sock.accept()
                    break
                if not alive():
                    raise ZygoteLost("the zygote exited before it connected")
            creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _, peer_uid, _ = struct.unpack("3i", creds)
            if peer_uid != self.uid:
                conn.close()
                raise ZygoteLost(f"control connection from uid {peer_uid}, not the sandbox's")
            return Channel(conn)
        finally:
            self.close()

    def close(self) -> None:
        self.sock.close()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class Channel:
    """Send and receive one JSON message per packet; every receive has a deadline."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn

    def fileno(self) -> int:
        return self.conn.fileno()

    def send(self, message: dict, fds: tuple[int, ...] = ()) -> None:
        data = json.dumps(message).encode()
        try:
            if fds:
                socket.send_fds(self.conn, [data], list(fds))
            else:
                self.conn.send(data)
        except OSError as error:
            raise ZygoteLost(f"cannot write to the zygote: {error}") from error

    def receive(self, timeout_s: float) -> dict:
        """The next message; ZygoteLost on EOF, timeout, garbage or unexpected fds."""
        ready, _, _ = select.select([self.conn], [], [], timeout_s)
        if not ready:
            raise ReplyTimeout(f"the zygote did not answer within {timeout_s:g} s")
        try:
            data, fds, flags, _ = socket.recv_fds(self.conn, PACKET_BYTES, 1)
        except OSError as error:
            raise ZygoteLost(f"cannot read from the zygote: {error}") from error
        for fd in fds:
            os.close(fd)  # the zygote never sends descriptors
        if not data:
            raise ZygoteLost("the zygote closed its control connection (it died)")
        if fds or flags & socket.MSG_TRUNC:
            raise ZygoteLost("malformed message from the zygote")
        try:
            message = json.loads(data)
        except ValueError as error:
            raise ZygoteLost("malformed message from the zygote") from error
        if not isinstance(message, dict):
            raise ZygoteLost("malformed message from the zygote")
        return message

    def close(self) -> None:
        self.conn.close()
