"""`autograder serve` as the README runs it on a fresh machine: no broker configured, so it
starts its own Redis and worker; an upload of the reference mlp.py is graded in full, also
after the embedded worker was killed (serve restarts it)."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx
import psutil
import pytest

from grader.mlp.items import ITEMS
from tests.support.loopback import free_port
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from tests.support.polling import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

STOPPED_WITHIN_S = 10
"""How long serve's children may outlive it: they stop on its signal, each in its own time."""


@pytest.mark.parametrize("stop, kill_worker", [(signal.SIGINT, False), (signal.SIGTERM, True)],
                         ids=["ctrl-c", "sigterm-after-the-worker-was-killed"])
def test_serve_with_embedded_redis_and_worker_grades_an_upload(tmp_path, stop, kill_worker):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOGRADER_")}
    env["AUTOGRADER_LOG_FORMAT"] = "text"
    port = free_port()
    log = open(tmp_path / "serve.log", "wb")
    # A fresh folder as the working directory: the SQLite database and the embedded Redis
    # land in its ./var, as on a new machine.
    serve = subprocess.Popen([*AUTOGRADER_COMMAND, "serve", "--port", str(port)], cwd=tmp_path,
                             env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(base), 60, interval_s=0.3, what="the server")
        token = subprocess.run([*AUTOGRADER_COMMAND, "users", "add", "ada", "--role", "student"],
                               cwd=tmp_path, env=env, capture_output=True, text=True,
                               check=True).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        _upload_and_check_the_grade(base, headers, tmp_path)
        assert (tmp_path / "var" / "autograder.db").exists()
        if kill_worker:
            worker = [c for c in psutil.Process(serve.pid).children()
                      if _cmdline(c)[-1:] == ["worker"]]
            assert len(worker) == 1
            orphans = worker[0].children(recursive=True)
            worker[0].kill()
            worker[0].wait(30)
            _upload_and_check_the_grade(base, headers, tmp_path)
            assert "embedded worker exited, restarting it" in (tmp_path / "serve.log").read_text()
            # Its pool processes and their zygotes went with it: none is left holding memory.
            assert not _alive(orphans)
        children = psutil.Process(serve.pid).children(recursive=True)
        warm = any("/harness/zygote.py" in " ".join(_cmdline(c)) for c in children)
    finally:
        serve.send_signal(stop)
        serve.wait(60)
        log.close()
    # The embedded worker, its warm sandboxes and Redis stop with it.
    assert warm
    wait_until(lambda: not _alive(children), STOPPED_WITHIN_S,
               what="the embedded worker, its zygotes and Redis to stop")


def _alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    """Those of `processes` still running (a zombie holds nothing but its pid)."""
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process)
        except psutil.NoSuchProcess:
            pass  # ended meanwhile
    return running


def _upload_and_check_the_grade(base: str, headers: dict, tmp_path) -> None:
    with open(REPO_ROOT / "reference" / "mlp.py", "rb") as source:
        created = httpx.post(f"{base}/api/v1/submissions", headers=headers,
                             files={"mlp": ("mlp.py", source)})
    assert created.status_code == 202
    url = f"{base}/api/v1/submissions/{created.json()['id']}"
    body = wait_until(lambda: (b := httpx.get(url, headers=headers).json())["status"]
                      in ("graded", "error") and b, 180, interval_s=0.5,
                      what=f"the grade\n{(tmp_path / 'serve.log').read_text()[-3000:]}")
    mlp = [t for t in body["report"]["tests"] if t["name"].startswith("mlp.")]
    assert body["status"] == "graded" and len(mlp) == len(ITEMS)
    assert all(t["status"] == "passed" and t["score"] == t["max_score"] for t in mlp)


def _cmdline(process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
