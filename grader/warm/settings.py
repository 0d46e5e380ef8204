"""Settings of the warm pool, read from AUTOGRADER_WARM_* variables (grader/ may not import
pydantic-settings; the service passes the same names through its environment).

Defaults fit a 2-core, 24 GB machine: one worker process with two zygotes. An idle zygote
holds ~400 MB resident (torch, torchvision, numpy, cv2 imported; measured with the cgroup's
memory.usage_in_bytes), so two cost under 1 GB; a job's own memory comes on top, bounded by
its memory limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields

PREFIX = "AUTOGRADER_WARM_"


@dataclass(frozen=True)
class WarmSettings:
    """How many warm interpreters a worker process keeps, and their bounds."""

    enabled: bool = True
    """Off: every job runs in a fresh cold sandbox (grader.sandbox.run_job)."""
    zygotes: int = 2
    """Zygotes per worker process. A grade of both files runs three jobs at once (mlp.py,
    and gd.py's two calls); on 2 cores a third zygote did not make it faster (0.94 s against
    0.88 s a grade, measured), and two keep one ready while the other is replaced after a
    doubtful job, so no grade waits ~3-10 s for an import."""
    memory_mb: int = 3072
    """Memory cgroup limit of one zygote with its running job (idle zygote ~400 MB
    included). A job's own memory limit is the smaller of this and the job's limit."""
    max_jobs: int = 500
    """Jobs one zygote serves before it is replaced: bounds whatever slowly accumulates
    in a long-lived process (its own CPU time against its rlimit, page cache)."""
    start_timeout_s: float = 120.0
    """Seconds a zygote may take to import torch & co and say hello (2.7 s idle, ~10 s
    measured with five engineers' jobs on 2 cores)."""
    reply_timeout_s: float = 10.0
    """Seconds to wait for a zygote's answer to anything but a running job (its fork, its
    clean-up). No answer: it is stopped or broken, and replaced."""

    @classmethod
    def from_env(cls, environ: "os._Environ[str] | dict[str, str] | None" = None) -> "WarmSettings":
        """Defaults overridden by AUTOGRADER_WARM_ENABLED=0, AUTOGRADER_WARM_ZYGOTES=4, ..."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in fields(cls):
            text = environ.get(PREFIX + field.name.upper())
            if text is None or not text.strip():
                continue
            kind = type(getattr(cls, field.name))
            if kind is bool:
                lowered = text.strip().lower()
                if lowered not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                    raise ValueError(f"{PREFIX}{field.name.upper()} must be 1/0 or true/false, not {text!r}")
                values[field.name] = lowered in ("1", "true", "yes", "on")
            else:
                values[field.name] = kind(text)
        settings = cls(**values)
        if settings.zygotes < 1 or settings.max_jobs < 1 or settings.memory_mb < 512:
            raise ValueError(f"{PREFIX}*: zygotes and max_jobs must be >= 1, memory_mb >= 512")
        return settings
