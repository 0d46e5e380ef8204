"""`autograder worker` with the warm pool installed: the benchmark's worker process.

Two lines stand in for the service's wiring of grader.warm (see docs/warm-sandboxes.md, "The
hook"), which the engine and worker do not have yet:
- the engine's two call sites look `run_job` up on grader.sandbox when they grade, so
  binding grader.warm.run_job there sends every sandbox run through this process's pool
  (AUTOGRADER_WARM_ENABLED=0: the pool runs every job cold, which is mode (c));
- worker_process_init builds the pool in each prefork child as it starts, so its zygotes
  import torch before the first grade arrives, not during it.

Usage: python bench/warm_worker.py [--concurrency N]   (environment as for `autograder worker`)
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import grader.sandbox  # noqa: E402
import grader.warm  # noqa: E402


def main(argv: list[str]) -> int:
    from celery.signals import worker_process_init, worker_process_shutdown

    from app.cli import main as autograder

    grader.sandbox.run_job = grader.warm.run_job
    worker_process_init.connect(lambda **_: grader.warm.default_pool(), weak=False)
    worker_process_shutdown.connect(lambda **_: grader.warm.shutdown(), weak=False)
    return autograder(["worker", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
