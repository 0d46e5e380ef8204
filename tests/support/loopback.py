"""Ports for the servers a test or bench starts on 127.0.0.1."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A port no one listens on now (the kernel's pick; taken by whoever binds it first)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
