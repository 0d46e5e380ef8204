"""What goes into one sandboxed run and what comes out of it.

Kept apart from the runner so the engine can build jobs and read results without importing
anything that touches namespaces, cgroups or mounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Mapping


@dataclass(frozen=True)
class SandboxJob:
    """One program of grader/harness/ to run next to the student's files."""

    harness: str
    """File name of a program in grader/harness/, e.g. "mlp_harness.py"."""
    files: Mapping[str, bytes] = field(default_factory=dict)
    """Relative path -> bytes, written into the work dir before start
    ("submission/mlp.py", "in/job.json", "in/<name>.npy")."""


class Outcome(str, Enum):
    """How a run ended; every limit has its own value so the message can name it."""

    OK = "ok"
    """Exited 0."""
    RUNTIME_ERROR = "runtime_error"
    """Exited non-zero (includes sys.exit / os._exit at import)."""
    SIGNALED = "signaled"
    """Died of a signal it brought on itself (segfault, abort)."""
    WALL_TIME = "wall_time"
    """Limit hit: wall-clock time."""
    CPU_TIME = "cpu_time"
    """Limit hit: CPU time."""
    MEMORY = "memory"
    """Limit hit: memory."""
    DISK = "disk"
    """Limit hit: file size or work-dir size."""
    PROCESSES = "processes"
    """Limit hit: number of processes and threads (a fork bomb)."""
    INTERNAL = "internal_error"
    """The sandbox itself failed: never scored as the student's fault."""

    @property
    def is_limit(self) -> bool:
        """True when the run was stopped because it hit one of its limits."""
        return self in _LIMIT_OUTCOMES


_LIMIT_OUTCOMES = frozenset({Outcome.WALL_TIME, Outcome.CPU_TIME, Outcome.MEMORY,
                             Outcome.DISK, Outcome.PROCESSES})


@dataclass
class SandboxResult:
    """The end of one run, as plain data; nothing in it came from the sandbox unparsed
    except stdout/stderr, which are bounded bytes for the trusted side to treat as text."""

    outcome: Outcome
    """How the run ended."""
    message: str
    """Plain words for a student, e.g. "stopped: used more than 3072 MB of memory"."""
    exit_code: int | None
    """The harness's exit status when it exited by itself, else None."""
    signal: int | None
    """The signal that ended the harness, else None."""
    wall_time_s: float
    """Seconds from start to the end of the whole tree."""
    cpu_time_s: float
    """CPU seconds of the whole tree (user + system)."""
    peak_memory_mb: float
    """Largest resident memory of the tree seen (cgroup peak, or the largest poll)."""
    stdout: bytes
    """At most limits.output_bytes; the rest was dropped while reading, never buffered."""
    stderr: bytes
    """At most limits.output_bytes, like stdout."""
    workdir: Path
    """Host path of the job's work dir after the run: read "out/" from it."""
    truncated_output: bool = False
    """True when stdout or stderr went over limits.output_bytes and was cut."""
