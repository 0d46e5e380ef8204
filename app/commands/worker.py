"""`autograder worker`: a Celery worker that grades queued submissions; with --deliveries,
one that sends webhooks instead."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=None,
                        help="grades at once (default: AUTOGRADER_WORKER_CONCURRENCY, 2)")
    parser.add_argument("--deliveries", action="store_true",
                        help="send webhooks (AUTOGRADER_WEBHOOK_QUEUE_NAME) instead of grading: "
                             "a pool of threads, so a slow receiver never holds a grade")


DELIVERY_THREADS = 8
"""Deliveries at once: each waits at most AUTOGRADER_WEBHOOK_TIMEOUT_S on its receiver."""


def run(args: argparse.Namespace) -> int:
    import os
    import socket

    from app.cli import UsageError
    from app.logs import configure_logging
    from app.queue import make_celery
    from app.settings import get_settings

    settings = get_settings()
    if not settings.broker_url:
        raise UsageError("set AUTOGRADER_BROKER_URL to the Redis the API queues into "
                         "(`autograder serve` without it runs its own worker)")
    configure_logging(settings.log_format, settings.log_level)
    concurrency = args.concurrency or settings.worker_concurrency
    if concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    # One math thread per grade: the machine's cores are shared by concurrent grades, and a
    # warm zygote must have no thread pool when it forks (grader/warm).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    celery = make_celery(settings)
    if args.deliveries:
        # Deliveries wait on the network, not the CPU: threads, many at once.
        pool = ["--pool=threads", f"--concurrency={args.concurrency or DELIVERY_THREADS}",
                f"--queues={settings.webhook_queue_name}",
                f"--hostname=webhooks-{os.getpid()}@{socket.gethostname()}"]
    else:
        from app import warm_sandboxes, worker_presence

        warm_sandboxes.install()
        name = f"grader-{os.getpid()}@{socket.gethostname()}"
        worker_presence.install(settings, name, concurrency)
        pool = [f"--concurrency={concurrency}", f"--queues={settings.queue_name}",
                f"--hostname={name}"]
    celery.worker_main([
        "worker", f"--loglevel={settings.log_level}", *pool,
        # Workers need not talk to each other: the database is the shared record.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ])
    return 0
