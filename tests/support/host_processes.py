"""Finding a job's processes among the host's: by a token in their command line or by the
name a probe gave itself (probes.NAME_ITSELF)."""

from __future__ import annotations

import os


def _host_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and int(name) != os.getpid()]


def processes_with(text: str) -> list[int]:
    """Pids of host processes whose command line contains `text`."""
    found = []
    for pid in _host_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if text.encode() in handle.read():
                    found.append(pid)
        except OSError:
            pass  # gone meanwhile
    return found


def processes_named(name: str) -> list[int]:
    """Pids of host processes whose name (/proc/<pid>/comm, 15 characters) is `name`."""
    found = []
    for pid in _host_pids():
        try:
            with open(f"/proc/{pid}/comm") as handle:
                if handle.read().strip() == name[:15]:
                    found.append(pid)
        except OSError:
            pass  # gone meanwhile
    return found


def gone(pids: list[int]) -> bool:
    """True when none of `pids` is alive any more."""
    return not any(os.path.exists(f"/proc/{pid}") for pid in pids)
