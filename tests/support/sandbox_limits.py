"""The small limits of the sandbox and warm-pool tests."""

from __future__ import annotations

from grader.sandbox import Limits

FAST_LIMITS = Limits(cpu_time_s=4.0, wall_time_s=6.0, memory_mb=1536, processes=32,
                     file_size_mb=16, workdir_mb=64, open_files=128, output_bytes=8192)
"""The same mechanisms as production, seconds instead of minutes. 1536 MB: a warm job's group
counts the zygote's ~400 MB of imports (as a cold one counts its own import); the tests of
the memory limit lower it themselves (`dataclasses.replace(FAST_LIMITS, memory_mb=256)`)."""
