"""Resource limits of one sandboxed run, read from the assignment file's [limits] tables.

Defaults fit a 2-core, 24 GB machine running two grades at once. A request may lower a
limit, never raise it (`Limits.lowered_to`), so a caller cannot buy a student more time.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


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
