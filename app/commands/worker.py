"""`autograder worker`: a Celery worker that grades queued submissions."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--concurrency", type=int, default=None,
                        help="grades at once (default: AUTOGRADER_WORKER_CONCURRENCY, 2)")


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
    from app.warm_sandboxes import install

    install()
    celery = make_celery(settings)
    celery.worker_main([
        "worker", f"--loglevel={settings.log_level}", f"--concurrency={concurrency}",
        f"--queues={settings.queue_name}",
        f"--hostname=grader-{os.getpid()}@{socket.gethostname()}",
        # Workers need not talk to each other: the database is the shared record.
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ])
    return 0
