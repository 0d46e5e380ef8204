"""Hostile clients against a real server on 127.0.0.1 (issue 11, points 1-3 and 5): slow
bodies and headers, chunked uploads past the cap, huge headers, and the small leaks of a
production API. Raw sockets where the attack is below HTTP clients' manners."""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import select
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest
import sqlalchemy as sa

from api_helpers import upload, worker_env
from app.clock import utc_now
from app.db.engine import CONNECT_TIMEOUT_S
from app.db.models import Artifact, Grade, Submission
from tests.support.loopback import free_port
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT
from tests.support.polling import wait_until

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

SOURCE = b"x = 1\n"
UPLOAD_CAP_BYTES = 2 * 256 * 1024 + 64 * 1024
"""What POST /api/v1/submissions reads at most: two files of 256 KB and the form's framing."""


@dataclass
class Server:
    base: str
    port: int
    process: subprocess.Popen
    log_path: Path

    def rss_bytes(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def accepted(self) -> int:
        """Client connections the server has taken (accepted, not only queued)."""
        return sum(1 for c in psutil.Process(self.process.pid).net_connections(kind="tcp")
                   if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == self.port)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def serve_command(settings, tmp_path):
    """`autograder serve` in a process of its own, on the test's database and Redis (so no
    embedded worker): `serve_command(AUTOGRADER_X="...") -> Server`."""
    servers = []

    def start(**env: str) -> Server:
        port = free_port()
        log_path = tmp_path / f"serve-{len(servers)}.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [*AUTOGRADER_COMMAND, "serve", "--port", str(port)], cwd=REPO_ROOT, stdout=log,
                stderr=subprocess.STDOUT, env=worker_env(settings) | env,
                start_new_session=True)
        server = Server(f"http://127.0.0.1:{port}", port, process, log_path)
        servers.append(server)
        wait_until(lambda: _answers(server.base), 30, interval_s=0.2,
                   what=f"autograder serve\n{server.log()[-2000:]}")
        return server

    yield start
    for server in servers:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(10)


def _answers(base: str) -> bool:
    try:
        httpx.get(f"{base}/healthz", timeout=2)
        return True
    except httpx.HTTPError:
        return False


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def upload_head(token: str, framing: str) -> bytes:
    """The head of a multipart upload; `framing` is a Content-Length or Transfer-Encoding line."""
    return ("POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"{framing}\r\n\r\n").encode()


def send_all(sock: socket.socket, data: bytes) -> bool:
    """False when the server closed the connection before taking all of it."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def read_response(sock: socket.socket, timeout_s: float) -> http.client.HTTPResponse:
    """The next response on the socket, its body read (as `.body`)."""
    sock.settimeout(timeout_s)
    response = http.client.HTTPResponse(sock)
    response.begin()
    response.body = response.read()
    return response


def closed_by_server(sock: socket.socket, timeout_s: float) -> bool:
    sock.settimeout(timeout_s)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


# --- 1. Slow clients ---------------------------------------------------------------------

def test_slow_uploads_leave_the_api_to_everyone_else(serve_command, users):
    # 16 uploads that announce 103 bytes and send 20, held open: more than the database pool
    # (5 + 10 connections), which each of them held while it waited for its body.
    server = serve_command(AUTOGRADER_REQUEST_BODY_TIMEOUT_S="3")
    slow = []
    try:
        for _ in range(16):
            sock = connect(server.port)
            sock.sendall(upload_head(users["alice"], "Content-Length: 103")
                         + b"--b\r\nContent-Disposi")  # 20 bytes
            slow.append(sock)
        wait_until(lambda: server.accepted() >= 16, 10, interval_s=0.1,
                   what="the server to take the 16 slow uploads")
        started = time.monotonic()
        with httpx.Client(base_url=server.base, timeout=5) as client:
            health = client.get("/healthz")
            listed = client.get("/api/v1/submissions", headers=users.headers("bob"))
            created = upload(client, users["bob"], {"mlp": SOURCE})
        assert time.monotonic() - started < 2.5
        assert health.status_code == 200
        assert listed.status_code == 200 and created.status_code == 202, created.text
        for sock in slow:  # answered once the body is late, never left hanging
            response = read_response(sock, timeout_s=6)
            assert response.status == 408
            assert "3 s" in json.loads(response.body)["detail"]
            assert closed_by_server(sock, 2)
    finally:
        for sock in slow:
            sock.close()


def test_slow_or_silent_headers_time_out(serve_command, users):
    server = serve_command(AUTOGRADER_REQUEST_HEADER_TIMEOUT_S="2")
    silent, slow = connect(server.port), connect(server.port)
    try:
        slow.sendall(b"GET /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        for sock in (slow, silent):
            response = read_response(sock, timeout_s=5)
            assert response.status == 408 and "2 s" in json.loads(response.body)["detail"]
            assert closed_by_server(sock, 2)
        assert time.monotonic() - started < 4.5
        # A client in no hurry between its requests is not cut off mid-request.
        assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200
    finally:
        silent.close()
        slow.close()


def test_healthz_says_unhealthy_while_the_database_pool_is_exhausted(serve_command, users,
                                                                   engine):
    server = serve_command()
    with engine.connect() as locker:
        # Every request that reads `users` now waits on the lock, holding a pooled connection.
        locker.execute(sa.text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            waiting = [pool.submit(httpx.get, f"{server.base}/api/v1/submissions",
                                   headers=users.headers("bob"), timeout=60)
                       for _ in range(16)]
            try:
                def unhealthy():
                    started = time.monotonic()
                    answer = httpx.get(f"{server.base}/healthz", timeout=5)
                    assert time.monotonic() - started < 3, "healthz must answer promptly"
                    return answer.status_code == 503 and answer

                answer = wait_until(unhealthy, 15, interval_s=0.3, what="healthz to say 503")
                assert "pool" in answer.json()["detail"]
            finally:
                locker.rollback()
            assert [f.result().status_code for f in waiting] == [200] * 16
    assert httpx.get(f"{server.base}/healthz", timeout=5).status_code == 200


def test_healthz_says_unhealthy_soon_when_the_database_host_is_silent(make_client):
    # A PostgreSQL that takes the connection and never says a word (a listener that never
    # accepts: the kernel completes the handshake into its backlog).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        client = make_client(database_url=f"postgresql+psycopg://autograder@127.0.0.1:{port}/x")
        started = time.monotonic()
        answer = client.get("/healthz")
        took = time.monotonic() - started
    assert answer.status_code == 503 and "database" in answer.json()["detail"].lower()
    assert took < CONNECT_TIMEOUT_S + 3, f"healthz took {took:.1f} s"


# --- 2. Chunked uploads ------------------------------------------------------------------

def test_a_chunked_upload_is_refused_at_the_cap_without_reading_the_rest(serve_command, users):
    server = serve_command()
    sock = connect(server.port)
    try:
        sock.sendall(upload_head(users["alice"], "Transfer-Encoding: chunked"))
        part = (b'--b\r\nContent-Disposition: form-data; name="mlp"; filename="mlp.py"\r\n'
                b"Content-Type: text/x-python\r\n\r\n")
        chunk = b"#" * 65536
        body = [part] + [chunk] * (UPLOAD_CAP_BYTES // len(chunk) + 2)  # 128 KB past the cap
        for piece in body:
            if not send_all(sock, b"%x\r\n%s\r\n" % (len(piece), piece)):
                break
        # No last chunk: the server must answer from what it has, not wait for the end.
        response = read_response(sock, timeout_s=5)
        assert response.status == 413
        assert "limit of 256 KB per file" in json.loads(response.body)["detail"]
        assert response.getheader("connection") == "close"
        assert closed_by_server(sock, 2)
    finally:
        sock.close()
    assert httpx.get(f"{server.base}/api/v1/submissions", headers=users.headers("tess"),
                     timeout=5).json() == []


# --- 3. Header size ----------------------------------------------------------------------

def test_headers_over_16_kb_are_refused_with_431(serve_command):
    server = serve_command()
    sock = connect(server.port)
    try:
        sock.sendall(b"GET /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Authorization: Bearer " + b"a" * 20_000 + b"\r\n\r\n")
        response = read_response(sock, timeout_s=5)
        assert response.status == 431
        assert "16 KB" in json.loads(response.body)["detail"]
        assert response.getheader("x-content-type-options") == "nosniff"
        assert closed_by_server(sock, 2)
    finally:
        sock.close()


def test_megabyte_headers_are_cut_off_without_growing_the_server(serve_command, users):
    server = serve_command()
    for _ in range(3):  # imports and buffers of a first request are not the attack's cost
        httpx.get(f"{server.base}/api/v1/submissions", headers=users.headers("bob"), timeout=5)
    before = server.rss_bytes()
    socks = []
    try:
        head = b"GET /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
        for _ in range(16):  # 16 MB of header, never ended, held open
            sock = connect(server.port)
            send_all(sock, head + b"a" * 1024 * 1024)
            socks.append(sock)
        wait_until(lambda: len(select.select(socks, [], [], 0)[0]) == len(socks), 10,
                   interval_s=0.1, what="the server to answer (or close) every connection")
        grown_mb = (server.rss_bytes() - before) / 2**20
        assert grown_mb < 8, f"server grew by {grown_mb:.1f} MB"
        for sock in socks:
            try:
                status = read_response(sock, timeout_s=2).status
            except (ConnectionResetError, http.client.RemoteDisconnected):
                status = None  # refused before it could be answered: as good
            assert status in (431, None)
            assert closed_by_server(sock, 2)
    finally:
        for sock in socks:
            sock.close()


# --- 5. The lesser leaks -----------------------------------------------------------------

def test_api_docs_are_not_served_in_production(serve_command):
    server = serve_command(AUTOGRADER_ENVIRONMENT="production")
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert httpx.get(f"{server.base}{path}", timeout=5).status_code == 404


def test_responses_are_nosniff_and_private_data_is_not_cached(serve_command, users, sessions):
    server = serve_command()
    with httpx.Client(base_url=server.base, timeout=5) as client:
        created = upload(client, users["alice"], {"gd": SOURCE}).json()
    with sessions.begin() as session:  # a stored grade with its image, as a worker leaves it
        submission = session.get(Submission, created["id"])
        submission.status = "graded"
        session.add(Grade(
            submission_id=submission.id, generation=1, status="graded", raw_score=0.0,
            score=0.0, max_score=20.0, seed=1, grader_version="test",
            report_student={"tests": []}, report_staff={"tests": []}, duration_s=1.0,
            graded_at=utc_now(),
            artifacts=[Artifact(name="gd.png", media_type="image/png", data=b"\x89PNG")]))
    alice = users.headers("alice")
    base = server.base
    image = httpx.get(f"{base}/api/v1/submissions/{created['id']}/artifacts/gd.png",
                      headers=alice, timeout=5)
    assert image.status_code == 200 and image.content == b"\x89PNG"
    assert image.headers["content-disposition"] == \
        f'attachment; filename="submission-{created["id"]}-gd.png"'
    private = [image,
               httpx.get(f"{base}/api/v1/submissions/{created['id']}", headers=alice, timeout=5),
               httpx.get(f"{base}/api/v1/submissions", headers=alice, timeout=5),
               httpx.get(f"{base}/api/v1/assignments/hw1/scores?format=csv",
                         headers=users.headers("tess"), timeout=5)]
    assert [r.status_code for r in private] == [200] * 4
    assert all(r.headers["cache-control"] == "no-store" for r in private)
    others = [httpx.get(f"{base}/healthz", timeout=5), httpx.get(f"{base}/metrics", timeout=5),
              httpx.get(f"{base}/api/v1/submissions", timeout=5),
              httpx.get(f"{base}/nowhere", timeout=5)]
    assert [r.status_code for r in others] == [200, 200, 401, 404]
    assert all(r.headers["x-content-type-options"] == "nosniff" for r in private + others)


def test_a_trailing_slash_is_not_redirected_to_the_host_header(serve_command, users):
    server = serve_command()
    answer = httpx.get(f"{server.base}/api/v1/submissions/", timeout=5,
                       headers=users.headers("alice") | {"Host": "evil.example"})
    assert "evil.example" not in answer.headers.get("location", "")
    assert answer.status_code == 404 and answer.json()["detail"]


def test_a_server_error_is_json(serve, users):
    # A database that is not there: every request that needs it fails inside the app.
    base = serve(database_url="postgresql+psycopg://postgres@127.0.0.1:5432/no_such_database")
    answer = httpx.get(f"{base}/api/v1/submissions", headers=users.headers("alice"), timeout=10)
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"]
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 503


def test_an_idempotency_key_reused_with_another_body_is_409(serve_command, users):
    server = serve_command()
    robot = users.headers("robot") | {"Idempotency-Key": "commit-3f2a9c1"}
    with httpx.Client(base_url=server.base, timeout=5) as client:
        first = upload(client, users["robot"], {"mlp": SOURCE}, user="alice", headers=robot)
        again = upload(client, users["robot"], {"mlp": SOURCE}, user="alice", headers=robot)
        other_file = upload(client, users["robot"], {"mlp": b"y = 2\n"}, user="alice",
                            headers=robot)
        more_files = upload(client, users["robot"], {"mlp": SOURCE, "gd": SOURCE},
                            user="alice", headers=robot)
        other_student = upload(client, users["robot"], {"mlp": SOURCE}, user="bob",
                               headers=robot)
    assert first.status_code == again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    for refused in (other_file, more_files, other_student):
        assert refused.status_code == 409
        assert "Idempotency-Key" in refused.json()["detail"]


@pytest.mark.parametrize("token, length, status", [
    ("alice", UPLOAD_CAP_BYTES + 1, 413),  # too large for its Content-Length alone
    ("no-such-token", 100_000, 401),       # refused before its body is needed
], ids=["too-large", "not-authenticated"])
def test_a_refused_upload_is_not_read_to_the_end(serve_command, users, token, length, status):
    server = serve_command()
    sock = connect(server.port)
    try:
        sock.sendall(upload_head(users.get(token, token), f"Content-Length: {length}")
                     + b"--b\r\n")
        response = read_response(sock, timeout_s=5)
        assert response.status == status and json.loads(response.body)["detail"]
        assert response.getheader("connection") == "close"
        assert closed_by_server(sock, 2)  # without waiting for the body it announced
    finally:
        sock.close()
