"""Resource limits of one sandboxed run, read from the assignment file's [limits] tables.

Defaults fit a 2-core, 24 GB machine running two grades at once. A request may lower a
limit, never raise it (`Limits.lowered_to`), so a caller cannot buy a student more time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

CEILING_ENV = "AUTOGRADER_SANDBOX_MAX_LIMITS"
"""Machine-wide caps, e.g. "wall_time_s=5,memory_mb=1024": a small machine (or the escape
suite, which must stay fast) lowers every run's limits without editing the assignment file.
It can only lower a limit, so setting it can never buy a submission more."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one run of a submission; every field's unit is in its name."""

    cpu_time_s: float = 60.0
    """CPU seconds of the whole process tree."""
    wall_time_s: float = 90.0
    """Seconds from start to kill, whatever the job is doing (sleeping counts)."""
    memory_mb: int = 3072
    """Resident memory of the whole tree; importing torch alone takes about 800 MB."""
    processes: int = 64
    """Processes and threads alive at once (torch starts a few threads)."""
    file_size_mb: int = 64
    """Largest file the job may write."""
    workdir_mb: int = 256
    """Size of the job's writable work directory."""
    open_files: int = 256
    """Open file descriptors per process."""
    output_bytes: int = 65536
    """Bytes of stdout and of stderr kept each; the rest is discarded, not buffered."""

    @classmethod
    def from_config(cls, table: dict) -> "Limits":
        known = {f.name for f in fields(cls)}
        unknown = set(table) - known
        if unknown:
            raise ValueError(f"unknown limits in the assignment file: {sorted(unknown)}")
        return cls(**table)

    def lowered_to(self, other: "Limits") -> "Limits":
        """These limits, with each one lowered to `other`'s where that is smaller."""
        return replace(self, **{f.name: min(getattr(self, f.name), getattr(other, f.name))
                                for f in fields(self)})

    def capped_by_environment(self, environ: "os._Environ[str] | dict[str, str] | None" = None) -> "Limits":
        """These limits lowered to the caps in AUTOGRADER_SANDBOX_MAX_LIMITS, if set."""
        text = (os.environ if environ is None else environ).get(CEILING_ENV, "").strip()
        if not text:
            return self
        caps = {}
        types = {f.name: type(getattr(self, f.name)) for f in fields(self)}
        for item in text.split(","):
            name, _, value = item.partition("=")
            name = name.strip()
            if name not in types:
                raise ValueError(f"{CEILING_ENV}: unknown limit {name!r}")
            caps[name] = types[name](float(value))
        return self.lowered_to(replace(self, **caps))
