"""Helpers of the service tests (a module of its own: test modules import it, not conftest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from app.settings import Settings
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT

REDIS_URL = os.environ.get("AUTOGRADER_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
"""Redis of the tests: a db number of its own, and every key under a per-run prefix."""
IDLE_QUEUE = "no-worker"
"""Queue of the tests that need no grade: no worker listens, so no CPU is spent on them."""


def make_settings(database_url: str, key_prefix: str, **overrides) -> Settings:
    values = dict(environment="test", database_url=database_url, broker_url=REDIS_URL,
                  broker_key_prefix=key_prefix, queue_name=IDLE_QUEUE, log_format="text",
                  # One grade at a time per test worker, with one warm zygote: each worker
                  # start then costs one torch import in the sandbox, not four.
                  worker_concurrency=1)
    return Settings(_env_file=None, **(values | overrides))


class Users(dict):
    """name -> token, with `headers(name)` for requests."""

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self[name]}"}


def upload(api, token: str, files: dict[str, bytes], **form):
    """POST /api/v1/submissions with files given as {"mlp": bytes, ...}."""
    headers = {"Authorization": f"Bearer {token}"} | form.pop("headers", {})
    multipart = {field: (f"{field}.py", content, "text/x-python")
                 for field, content in files.items()}
    return api.post("/api/v1/submissions", files=multipart, data=form, headers=headers)


def worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that gives a worker process these settings."""
    env = {"AUTOGRADER_WARM_ZYGOTES": "1", **os.environ, **extra}
    for name, value in settings.model_dump().items():
        if value is not None:
            # Lists and dicts are read back as JSON (pydantic-settings).
            text = json.dumps(value) if isinstance(value, (list, dict)) else str(value)
            env[f"AUTOGRADER_{name.upper()}"] = text
    return env


class WorkerProcess:
    """`autograder worker` in its own process group, so a test can SIGKILL all of it."""

    def __init__(self, settings: Settings, log_path: Path, *options: str, **env: str):
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [*AUTOGRADER_COMMAND, "worker", *options], cwd=REPO_ROOT,
            env=worker_env(settings, **env), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        """SIGKILL to the worker and its pool children: no warm shutdown, no ack."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")
