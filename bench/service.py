"""Throughput and latency of the real service (API, Redis, Celery worker, PostgreSQL) with
warm sandboxes on and off, in one run.

    .venv/bin/python bench/service.py                      # everything, ~2 min on 2 idle cores
    .venv/bin/python bench/service.py --burst 50 --cold-burst 6    # a quicker look

Prints, for (a) mlp.py alone, (b) mlp.py + gd.py, (c) mlp.py with warm sandboxes off: the
median and 95th percentile of upload-to-report time one submission at a time, submissions
graded per second under a burst, and peak memory (PSS of the API and worker process trees,
zygotes and jobs included); and the floor: the reference graded in-process (bench/floor.py).

How it drives the service: a PostgreSQL database and Redis key space of its own; `autograder
serve` (the API, with the broker set so it starts no worker of its own) and a worker
(`autograder worker`, which installs the warm pool in each prefork child) as subprocesses; a CI
token uploads the reference files for a roster of students (the course allows each student
10 uploads an hour). One at a time: upload, then poll GET /submissions/{id} every 10 ms
until graded; the time is the client's. Burst: every upload sent at once from 8 threads;
completion is watched in the database (not through the API, so watching costs the graders no
CPU), and times are the service's own: created_at (upload) to graded_at (report stored).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cpu import CpuGroup, service_cpu_s  # noqa: E402
from memory import PeakMemory  # noqa: E402
from tests.support.loopback import free_port  # noqa: E402
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT  # noqa: E402

POLL_S = 0.05
"""Client poll interval one at a time: adds at most 50 ms to the client's time (at 10 ms
the polling alone took ~15% of a core from the graders); the service's own created_at to
graded_at is printed next to it."""
UPLOADERS = 8
"""Threads sending a burst's uploads."""
UPLOADS_PER_STUDENT = 9
"""Below the course's 10 uploads per student and hour."""


@dataclass
class Measured:
    """One mode's numbers."""

    name: str
    sequential_s: list[float] = field(default_factory=list)
    """Upload-to-report, client clock, one submission at a time."""
    sequential_server_s: list[float] = field(default_factory=list)
    """The same, service clock: created_at to graded_at."""
    burst_n: int = 0
    burst_span_s: float = 0.0
    """First upload to last report stored (service clock)."""
    burst_latency_s: list[float] = field(default_factory=list)
    peak_memory_mb: float = 0.0
    cpu_per_grade_s: dict[str, float] = field(default_factory=dict)
    """CPU seconds per graded submission (Service.cpu_s parts), over the one-at-a-time and
    burst phases. Redis and PostgreSQL are not counted (shared servers of the machine)."""
    scores: list[float] = field(default_factory=list)
    errors: int = 0
    grade_s: list[float] = field(default_factory=list)
    """The worker's own grading time per submission (grades.duration_s)."""
    sandbox_s: list[float] = field(default_factory=list)
    """Sandbox wall time per run, from the staff report ("sandbox: ok, 0.32 s wall")."""

    def row(self) -> str:
        seq = self.sequential_s
        out = [f"{self.name}"]
        if seq:
            server = self.sequential_server_s or [0.0]
            out.append(f"one at a time (n={len(seq)}): median {statistics.median(seq):.3f} s, "
                       f"p95 {_p95(seq):.3f} s (client); service clock median "
                       f"{statistics.median(server):.3f} s, p95 {_p95(server):.3f} s")
        if self.burst_n:
            out.append(f"burst of {self.burst_n}: {self.burst_n / self.burst_span_s:.2f} graded/s "
                       f"({self.burst_span_s:.1f} s), upload-to-report median "
                       f"{statistics.median(self.burst_latency_s):.2f} s, p95 {_p95(self.burst_latency_s):.2f} s")
        if self.grade_s:
            out.append(f"worker grading time median {statistics.median(self.grade_s):.3f} s, "
                       f"sandbox wall median {statistics.median(self.sandbox_s or [0]):.3f} s per run "
                       f"(mlp and gd runs together)")
        total = self.cpu_per_grade_s.get("api", 0) + self.cpu_per_grade_s.get("worker+sandbox", 0)
        split = ", ".join(f"{k} {v:.3f}" for k, v in self.cpu_per_grade_s.items())
        out.append(f"CPU per graded submission {total:.3f} s ({split}); 2 idle cores could "
                   f"grade at most {2 / max(total, 1e-9):.1f}/s")
        out.append(f"peak memory {self.peak_memory_mb:.0f} MB (PSS); scores {sorted(set(self.scores))}, "
                   f"errors {self.errors}")
        return "\n    ".join(out)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


# -- the service ------------------------------------------------------------------------
class Service:
    """Database, API and worker of one benchmark run; stop() ends them all."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args, self.work = args, work
        token = secrets.token_hex(4)
        self.database = f"bench_{token}"
        admin = args.postgres.rsplit("/", 1)[0]
        self.database_url = f"{admin}/{self.database}"
        self.env = {
            **os.environ,
            "AUTOGRADER_DATABASE_URL": self.database_url,
            "AUTOGRADER_BROKER_URL": args.redis,
            "AUTOGRADER_BROKER_KEY_PREFIX": f"bench-{token}:",
            "AUTOGRADER_QUEUE_NAME": f"bench-{token}",
            "AUTOGRADER_LOG_FORMAT": "text",
            "AUTOGRADER_LOG_LEVEL": "WARNING",
            "AUTOGRADER_SANDBOX_DIR": str(work / "jobs"),
            "AUTOGRADER_WARM_ZYGOTES": str(args.zygotes),
        }
        (work / "jobs").mkdir(mode=0o711)
        self.port = free_port()
        self.api: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.students: list[str] = []
        self.cpu = {"api": CpuGroup(f"bench-{token}-api"), "worker": CpuGroup(f"bench-{token}-worker")}
        self.uploads = itertools.count()
        """Uploads so far: upload k is for student k // UPLOADS_PER_STUDENT."""
        self.token = ""

    def create_database(self) -> None:
        import psycopg

        admin_url = self.args.postgres.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        from app.db.migrate import upgrade_to_head
        upgrade_to_head(self.database_url)

    def create_users(self, students: int) -> None:
        from app.clock import utc_now
        from app.db.engine import make_engine, make_session_factory
        from app.services.users import create_user, import_students

        sessions = make_session_factory(make_engine(self.database_url))
        with sessions.begin() as session:
            _, self.token = create_user(session, "bench-ci", "ci", utc_now())
            names = [f"student{i:04d}" for i in range(students)]
            import_students(session, names, utc_now())
        self.students = names

    def start_api(self) -> None:
        log = open(self.work / "api.log", "ab")
        self.api = subprocess.Popen([*AUTOGRADER_COMMAND, "serve", "--port", str(self.port)],
                                    cwd=REPO_ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.cpu["api"].add(self.api.pid)  # before it has started anything
        import httpx
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API did not come up; see {self.work / 'api.log'}")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v1"

    def start_worker(self, warm: bool) -> None:
        # One torch thread per worker process: the trusted side's float64 reference runs in
        # the worker, and two processes with two threads each on 2 cores only contend.
        env = {**self.env, "AUTOGRADER_WARM_ENABLED": "1" if warm else "0",
               "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        log = open(self.work / f"worker-{'warm' if warm else 'cold'}.log", "ab")
        self.worker = subprocess.Popen(
            [*AUTOGRADER_COMMAND, "worker", "--concurrency", str(self.args.concurrency)],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.cpu["worker"].add(self.worker.pid)  # before it forks its pool or any sandbox
        if warm:
            # Every prefork child builds its pool at start; wait for all zygotes to say hello.
            want = self.args.concurrency * self.args.zygotes
            deadline = time.monotonic() + 300
            while _count_zygotes(self.worker.pid) < want:
                if time.monotonic() > deadline or self.worker.poll() is not None:
                    raise RuntimeError(f"zygotes did not start; see {self.work}/worker-warm.log")
                time.sleep(0.5)

    def stop_worker(self) -> None:
        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGTERM)
            try:
                self.worker.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.worker.pid, signal.SIGKILL)
                self.worker.wait()
        self.worker = None

    def stop(self) -> None:
        self.stop_worker()
        if self.api is not None and self.api.poll() is None:
            os.killpg(self.api.pid, signal.SIGTERM)
            self.api.wait(30)
        for group in self.cpu.values():
            group.remove()
        import psycopg
        admin_url = self.args.postgres.replace("postgresql+psycopg://", "postgresql://")
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        except psycopg.Error as error:
            print(f"(could not drop database {self.database}: {error})", file=sys.stderr)

    def cpu_s(self) -> dict[str, float]:
        """CPU seconds so far: the API; the worker with its sandboxes (cgroup, complete); of
        which in zygotes and jobs (/proc: warm only, a cold sandbox escapes it)."""
        sandbox = service_cpu_s(None, self.worker.pid)["sandbox"] if self.worker else 0.0
        return {"api": self.cpu["api"].usage_s(), "worker+sandbox": self.cpu["worker"].usage_s(),
                "of which zygotes+jobs": sandbox}

    def roots(self) -> list[int]:
        return [p.pid for p in (self.api, self.worker) if p is not None]


def _count_zygotes(root: int) -> int:
    """Zygote processes (python .../harness/zygote.py) that have finished importing: their
    /proc/<pid>/status says non-dumpable only after the first line of zygote.py ran, so
    count those whose parent is a bwrap init and whose cmdline names zygote.py and that
    have connected (a socket fd is open)."""
    count = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            cmdline = open(f"/proc/{name}/cmdline", "rb").read()
            if b"/harness/zygote.py" not in cmdline or b"bwrap" in cmdline:
                continue
            if any(os.readlink(f"/proc/{name}/fd/{fd}").startswith("socket:")
                   for fd in os.listdir(f"/proc/{name}/fd")):
                count += 1
        except OSError:
            continue
    return count


# -- the load ---------------------------------------------------------------------------
class Client:
    def __init__(self, service: Service) -> None:
        import httpx
        self.service = service
        self.http = httpx.Client(base_url=service.base_url, timeout=60,
                                 headers={"Authorization": f"Bearer {service.token}"})
        # One count per run (modes share the roster); next() on a count is atomic.
        self._next = service.uploads

    def upload(self, files: dict[str, bytes]) -> int:
        student = self.service.students[next(self._next) // UPLOADS_PER_STUDENT]
        multipart = {field: (name, data) for field, name, data in
                     (("mlp", "mlp.py", files.get("mlp.py")), ("gd", "gd.py", files.get("gd.py")))
                     if data is not None}
        response = self.http.post("/submissions", files=multipart,
                                  data={"user": student, "assignment": "hw1"})
        if response.status_code != 202:
            raise RuntimeError(f"upload refused: {response.status_code} {response.text[:300]}")
        return response.json()["id"]

    def wait_graded(self, submission_id: int, timeout_s: float = 600) -> dict:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            body = self.http.get(f"/submissions/{submission_id}").json()
            if body["status"] in ("graded", "error"):
                return body
            time.sleep(POLL_S)
        raise RuntimeError(f"submission {submission_id} not graded within {timeout_s} s")


def one_at_a_time(client: Client, files: dict[str, bytes], n: int, measured: Measured) -> list[int]:
    ids = []
    for _ in range(n):
        started = time.perf_counter()
        ids.append(client.upload(files))
        body = client.wait_graded(ids[-1])
        measured.sequential_s.append(time.perf_counter() - started)
        measured.scores.append(body["score"])
        measured.errors += body["status"] != "graded"
    return ids


def burst(client: Client, files: dict[str, bytes], n: int, measured: Measured) -> list[int]:
    with ThreadPoolExecutor(UPLOADERS) as pool:
        # One upload per thread call; the Client's student counter is only touched here.
        ids = list(pool.map(lambda _: client.upload(files), range(n)))
    _wait_in_database(client.service, ids)
    rows = _rows(client.service, ids)
    created = [r["created_at"] for r in rows]
    graded = [r["graded_at"] for r in rows]
    measured.burst_n = n
    measured.burst_span_s = (max(graded) - min(created)).total_seconds()
    measured.burst_latency_s = [(g - c).total_seconds() for c, g in zip(created, graded)]
    measured.scores += [r["score"] for r in rows]
    measured.errors += sum(r["status"] != "graded" for r in rows)
    return ids


def _engine(service: Service):
    from app.db.engine import make_engine
    if not hasattr(service, "_engine"):
        service._engine = make_engine(service.database_url)
    return service._engine


def _wait_in_database(service: Service, ids: list[int], timeout_s: float = 3600) -> None:
    import sqlalchemy as sa
    deadline = time.monotonic() + timeout_s
    query = sa.text("SELECT count(*) FROM submissions WHERE id = ANY(:ids) "
                    "AND status IN ('graded', 'error')")
    with _engine(service).connect() as conn:
        while time.monotonic() < deadline:
            if conn.execute(query, {"ids": ids}).scalar() == len(ids):
                return
            conn.rollback()
            time.sleep(0.1)
    raise RuntimeError("the burst was not graded in time")


def _rows(service: Service, ids: list[int]) -> list[dict]:
    import sqlalchemy as sa
    query = sa.text("SELECT s.id, s.status, s.score, s.created_at, s.graded_at, g.duration_s, "
                    "g.report_staff FROM submissions s JOIN grades g ON g.submission_id = s.id "
                    "WHERE s.id = ANY(:ids)")
    with _engine(service).connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query, {"ids": ids})]


def add_breakdown(service: Service, ids: list[int], measured: Measured) -> None:
    """The worker's grading time and the sandbox's wall time, from the stored grades."""
    import re
    for row in _rows(service, ids):
        measured.grade_s.append(row["duration_s"])
        staff = json.dumps(row["report_staff"])
        # Each file's line is repeated in every test of that file: one value per run.
        measured.sandbox_s += [float(s) for s in set(re.findall(r"sandbox: \w+, ([0-9.]+) s wall", staff))]


def run_mode(service: Service, name: str, files: dict[str, bytes], warm: bool,
             sequential: int, burst_n: int) -> Measured:
    measured = Measured(name)
    service.start_worker(warm)
    try:
        client = Client(service)
        # Warm-up: every worker child grades once (first-use costs are not the steady state).
        for submission_id in [client.upload(files) for _ in range(service.args.concurrency)]:
            client.wait_graded(submission_id)
        cpu_before = service.cpu_s()
        with PeakMemory(service.roots()) as memory:
            ids = one_at_a_time(client, files, sequential, measured)
            measured.sequential_server_s = [(r["graded_at"] - r["created_at"]).total_seconds()
                                            for r in _rows(service, ids)]
            ids += burst(client, files, burst_n, measured) if burst_n else []
        measured.peak_memory_mb = memory.peak_mb
        cpu_after = service.cpu_s()
        measured.cpu_per_grade_s = {part: (cpu_after[part] - cpu_before[part]) / len(ids)
                                    for part in cpu_after}
        add_breakdown(service, ids, measured)
    finally:
        service.stop_worker()
    return measured


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=os.environ.get(
        "AUTOGRADER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
        help="a PostgreSQL URL whose server lets this user CREATE DATABASE")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes (cores)")
    parser.add_argument("--zygotes", type=int, default=2, help="zygotes per worker process")
    parser.add_argument("--sequential", type=int, default=20)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--gd-sequential", type=int, default=10)
    parser.add_argument("--gd-burst", type=int, default=0)
    parser.add_argument("--cold-sequential", type=int, default=5)
    parser.add_argument("--cold-burst", type=int, default=20)
    args = parser.parse_args(argv)

    mlp = {"mlp.py": (REPO_ROOT / "reference" / "mlp.py").read_bytes()}
    both = {**mlp, "gd.py": (REPO_ROOT / "reference" / "gd.py").read_bytes()}
    total = (args.sequential + args.burst + args.gd_sequential + args.gd_burst
             + args.cold_sequential + args.cold_burst + 3 * args.concurrency)
    work = Path(tempfile.mkdtemp(prefix="autograder-bench-", dir="/tmp"))
    work.chmod(0o711)
    print(f"logs in {work}; load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
          flush=True)

    from floor import measure_floor
    floor = measure_floor()
    service = Service(args, work)
    results: list[Measured] = []
    try:
        service.create_database()
        service.create_users(total // UPLOADS_PER_STUDENT + 2)
        service.start_api()
        for name, files, warm, seq, n in (
                ("(a) mlp.py, warm", mlp, True, args.sequential, args.burst),
                ("(b) mlp.py + gd.py, warm", both, True, args.gd_sequential, args.gd_burst),
                ("(c) mlp.py, warm off", mlp, False, args.cold_sequential, args.cold_burst)):
            started = time.monotonic()
            results.append(run_mode(service, name, files, warm, seq, n))
            print(results[-1].row(), f"\n    ({time.monotonic() - started:.0f} s)", flush=True)
    finally:
        service.stop()

    print("\nfloor, the reference graded in-process through the same harness code "
          f"(median of 5): mlp {floor['mlp_wall_s']:.3f} s wall / {floor['mlp_cpu_s']:.3f} s CPU, "
          f"gd {floor['gd_wall_s']:.3f} s wall / {floor['gd_cpu_s']:.3f} s CPU")
    warm_burst, cold_burst = results[0], results[2]
    if warm_burst.burst_n and cold_burst.burst_n:
        ratio = (warm_burst.burst_n / warm_burst.burst_span_s) / (cold_burst.burst_n / cold_burst.burst_span_s)
        print(f"throughput warm / warm off (mlp.py bursts): {ratio:.1f}x")
    print(f"load average at the end {os.getloadavg()[0]:.1f} (other jobs on the machine count)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
