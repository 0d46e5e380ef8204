"""Warm sandboxes in Celery workers: each prefork child keeps zygotes (grader.warm) with
torch imported, so a grade pays ~0.1 s in the sandbox instead of ~2 s of imports.

Started in `worker_process_init`, so the zygotes import while the child waits for its first
task; AUTOGRADER_WARM_ENABLED=0 makes the pool run every job cold.
"""

from __future__ import annotations

from celery.signals import worker_process_init, worker_process_shutdown


def install() -> None:
    """Connect the pool's start and stop to every worker child's life."""
    worker_process_init.connect(_start, weak=False)
    worker_process_shutdown.connect(_stop, weak=False)


def _start(**_) -> None:
    import grader.sandbox
    import grader.warm

    grader.sandbox.set_default_runner(grader.warm.run_job)
    grader.warm.default_pool()


def _stop(**_) -> None:
    import grader.warm

    grader.warm.shutdown()
