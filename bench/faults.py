"""Crashes injected in the middle of a burst of uploads, against the real service on
loopback (issue 11, point 7): what was sent, accepted, graded, lost and graded twice, and
how long the service took to notice and requeue.

    .venv/bin/python bench/faults.py                        # every fault, 24 uploads each
    .venv/bin/python bench/faults.py --faults redis-kill --uploads 40
    .venv/bin/python bench/faults.py --faults none --uploads 300    # the 300-upload burst

The deployment is the production one in miniature: a redis-server of its own (AOF, fsync
every second) on a free 127.0.0.1 port, a PostgreSQL database of its own whose connections
carry an application_name of their own (only those are terminated), `autograder serve`
with the broker set (the API and the sweep) and `autograder worker`, all as subprocesses.
A CI token uploads for a roster of students (one upload each, below the hourly cap) from 8
threads. Every fifth upload sleeps 2 s in the sandbox, so a kill lands on a running grade.

Faults, each injected once half the burst was sent:
  worker-kill    SIGKILL to the worker's process group mid-grade; a new worker is started
                 at once (as a supervisor or `restart: unless-stopped` would)
  redis-kill     kill -9 of redis-server, restarted 3 s later from its append-only file
  api-restart    SIGKILL to the API (uvicorn and the sweep), started again 2 s later
  db-terminate   pg_terminate_backend on every connection of the service, 3 times 0.5 s apart
  none           no fault (the 300-upload burst)
Timings are short for the run (sweep every 2 s, leases of 6 s; defaults: 15 s and 60 s);
the visibility timeout keeps its default (an hour), so nothing here is recovered by it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages

from tests.support.databases import POSTGRES_ADMIN_URL, scratch_database  # noqa: E402
from tests.support.loopback import free_port  # noqa: E402
from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT  # noqa: E402
from tests.support.polling import wait_until  # noqa: E402

UPLOADERS = 8
"""Threads sending a burst's uploads."""
SLOW_EVERY = 5
"""Every fifth upload sleeps in the sandbox (SLOW_SOURCE)."""
FAST_SOURCE = b"x = 1\n"
SLOW_SOURCE = b"import time\ntime.sleep(2)\n"
FAULTS = ("worker-kill", "redis-kill", "api-restart", "db-terminate")
SERVICE_TIMINGS = {"AUTOGRADER_SWEEP_INTERVAL_S": "2", "AUTOGRADER_LEASE_S": "6",
                   "AUTOGRADER_UNCONFIRMED_AFTER_S": "3", "AUTOGRADER_TASK_RETRY_DELAY_S": "1"}
"""Short for a run of seconds; a sweep finds a dead worker within lease + sweep = 8 s."""


class Deployment:
    """Redis, API and worker of one run on loopback, over a database it is given."""

    def __init__(self, database_url: str, work: Path, concurrency: int = 1) -> None:
        self.work = work
        self.application_name = f"faults-{secrets.token_hex(4)}"
        self.database_url = _with_application_name(database_url, self.application_name)
        self.observer_url = database_url
        """The run's own connections (watching, users): not terminated with the service's."""
        self.redis_port, self.api_port = free_port(), free_port()
        self.concurrency = concurrency
        self.env = {
            **os.environ, **SERVICE_TIMINGS,
            "AUTOGRADER_ENVIRONMENT": "test",
            "AUTOGRADER_DATABASE_URL": self.database_url,
            "AUTOGRADER_BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "AUTOGRADER_QUEUE_NAME": "grading",
            "AUTOGRADER_LOG_FORMAT": "text", "AUTOGRADER_LOG_LEVEL": "INFO",
            "AUTOGRADER_WARM_ZYGOTES": "1", "OMP_NUM_THREADS": "1",
        }
        self.redis: subprocess.Popen | None = None
        self.api: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.workers_started = 0
        self._sessions = None

    # -- parts ---------------------------------------------------------------------------
    def start_redis(self) -> None:
        """The compose file's Redis: append-only file, fsync every second."""
        self.redis = self._spawn("redis", [
            "redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--dir", str(self.work), "--appendonly", "yes", "--appendfsync", "everysec",
            "--save", "", "--protected-mode", "yes"])
        wait_until(self._redis_answers, 20, "redis-server to start")

    def _redis_answers(self) -> bool:
        import redis
        try:
            return redis.Redis(port=self.redis_port, socket_timeout=1).ping()
        except redis.RedisError:
            return False

    def start_api(self) -> None:
        import httpx
        self.api = self._spawn("api", [*AUTOGRADER_COMMAND, "serve", "--port", str(self.api_port)])

        def healthy() -> bool:
            try:
                return httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False
        wait_until(healthy, 60, f"the API to start (see {self.work / 'api.log'})")

    def start_worker(self) -> None:
        self.workers_started += 1
        self.worker = self._spawn(f"worker-{self.workers_started}", [
            *AUTOGRADER_COMMAND, "worker", "--concurrency", str(self.concurrency)])

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.work / f"{name}.log", "ab")
        return subprocess.Popen(argv, cwd=REPO_ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)

    @staticmethod
    def kill(process: subprocess.Popen | None) -> None:
        """SIGKILL to the process and everything it started: no shutdown of any kind."""
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    @staticmethod
    def stop(process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def start(self) -> None:
        from app.db.migrate import upgrade_to_head
        upgrade_to_head(self.database_url)
        self.start_redis()
        self.start_api()
        self.start_worker()

    def shutdown(self) -> None:
        for process in (self.worker, self.api, self.redis):
            self.stop(process)
        if self._sessions is not None:
            self._sessions.kw["bind"].dispose()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sessions(self):
        if self._sessions is None:
            from app.db.engine import make_engine, make_session_factory
            self._sessions = make_session_factory(make_engine(self.observer_url))
        return self._sessions

    # -- faults --------------------------------------------------------------------------
    def inject(self, fault: str, admin_url: str) -> None:
        if fault == "worker-kill":
            wait_until(self._a_grade_is_running, 30, "a grade to be running")
            self.kill(self.worker)
            self.start_worker()
        elif fault == "redis-kill":
            self.kill(self.redis)
            time.sleep(3.0)
            self.start_redis()
        elif fault == "api-restart":
            self.kill(self.api)
            time.sleep(2.0)
            self.start_api()
        elif fault == "db-terminate":
            for _ in range(3):
                terminate_backends(admin_url, self.application_name)
                time.sleep(0.5)
        elif fault != "none":
            raise ValueError(f"no fault {fault!r}")

    def _a_grade_is_running(self) -> bool:
        from sqlalchemy import func, select

        from app.db.models import Submission
        with self.sessions() as session:
            return bool(session.scalar(select(func.count()).select_from(Submission)
                                       .where(Submission.status == "running")))


def _with_application_name(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url
    parsed = make_url(url)
    return parsed.update_query_dict({"application_name": name}).render_as_string(False)


def terminate_backends(admin_url: str, application_name: str) -> int:
    """pg_terminate_backend on the connections of this application_name only."""
    import sqlalchemy as sa
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND pid <> pg_backend_pid()"),
                {"name": application_name}).all())
    finally:
        admin.dispose()


# -- one burst with one fault -----------------------------------------------------------
@dataclass
class Figures:
    fault: str
    sent: int = 0
    accepted: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    """Status (or connection error) -> count of uploads not accepted."""
    graded: int = 0
    lost: int = 0
    """Accepted and not graded when the run gave up waiting."""
    duplicated: int = 0
    """Submissions with more than one grade stored for a generation."""
    regraded: int = 0
    """Grading starts beyond one per submission (work done twice, one grade stored)."""
    requeued_ids: list[int] = field(default_factory=list)
    """Submissions whose history says "requeued after a fault"."""
    recovery_s: float = 0.0
    """Fault to the last requeue after it (0 when nothing needed one)."""
    stall_s: float = 0.0
    """Longest time without a grade stored, from the fault to the last grade."""
    drain_s: float = 0.0
    """Fault to the last grade stored."""

    def row(self) -> str:
        refused = ", ".join(f"{k} x{v}" for k, v in sorted(self.refused.items())) or "none"
        return (f"{self.fault:13s} sent {self.sent}, accepted {self.accepted} (not accepted: "
                f"{refused}), graded {self.graded}, lost {self.lost}, duplicated "
                f"{self.duplicated}, requeued {len(self.requeued_ids)}, graded twice (one stored) "
                f"{self.regraded}; recovery {self.recovery_s:.1f} s (requeue), longest "
                f"stall {self.stall_s:.1f} s, fault to last grade {self.drain_s:.1f} s")


class Roster:
    """A CI token and students enough for one upload each (the hourly cap is per student)."""

    def __init__(self, deployment: Deployment, students: int) -> None:
        from app.clock import utc_now
        from app.services.users import create_user, import_students
        tag = secrets.token_hex(3)
        with deployment.sessions.begin() as session:
            _, self.token = create_user(session, f"ci-{tag}", "ci", utc_now())
            self.students = [f"s{tag}-{i:04d}" for i in range(students)]
            import_students(session, self.students, utc_now())
        self._next = iter(self.students)
        self._lock = threading.Lock()

    def next_student(self) -> str:
        with self._lock:
            return next(self._next)


def run_burst(deployment: Deployment, roster: Roster, fault: str, uploads: int,
              admin_url: str, grade_timeout_s: float) -> Figures:
    import httpx
    figures = Figures(fault, sent=uploads)
    accepted: list[int] = []
    half_sent = threading.Event()
    sent = iter(range(uploads))
    lock = threading.Lock()
    http = httpx.Client(timeout=30, headers={"Authorization": f"Bearer {roster.token}"})

    def send(index: int) -> None:
        source = SLOW_SOURCE if index % SLOW_EVERY == 0 else FAST_SOURCE
        try:
            response = http.post(f"{deployment.base_url}/api/v1/submissions",
                                 files={"mlp": ("mlp.py", source)},
                                 data={"user": roster.next_student(), "assignment": "hw1"})
            outcome = response.status_code
        except httpx.HTTPError as error:
            outcome, response = type(error).__name__, None
        with lock:
            if outcome == 202:
                accepted.append(response.json()["id"])
            else:
                figures.refused[str(outcome)] = figures.refused.get(str(outcome), 0) + 1
        if index + 1 >= uploads // 2:
            half_sent.set()

    def uploader() -> None:
        for index in sent:  # next() on a range iterator: each index is sent once
            send(index)
            time.sleep(0.05)  # a burst that lasts long enough to be hit mid-way

    with ThreadPoolExecutor(UPLOADERS) as pool:
        running = [pool.submit(uploader) for _ in range(UPLOADERS)]
        half_sent.wait(120)
        fault_at = time.time()
        deployment.inject(fault, admin_url)
        for future in running:
            future.result()
    http.close()
    figures.accepted = len(accepted)
    _wait_graded(deployment, accepted, grade_timeout_s)
    _measure(deployment, accepted, fault_at, figures)
    return figures


def _wait_graded(deployment: Deployment, ids: list[int], timeout_s: float) -> None:
    from sqlalchemy import func, select

    from app.db.models import Submission

    def all_done() -> bool:
        with deployment.sessions() as session:
            return session.scalar(select(func.count()).select_from(Submission).where(
                Submission.id.in_(ids), Submission.status.in_(["graded", "error"]))) == len(ids)
    try:
        wait_until(all_done, timeout_s, "every accepted upload to be graded", interval_s=0.5)
    except TimeoutError:
        pass  # counted as lost


def _measure(deployment: Deployment, ids: list[int], fault_at: float, figures: Figures) -> None:
    from sqlalchemy import func, select

    from app.db.models import Grade, Submission, SubmissionEvent
    with deployment.sessions() as session:
        grades = dict(session.execute(
            select(Grade.submission_id, func.count()).where(Grade.submission_id.in_(ids))
            .group_by(Grade.submission_id)).all())
        done = [s for s in session.scalars(select(Submission).where(Submission.id.in_(ids)))
                if s.status in ("graded", "error")]
        events = session.scalars(select(SubmissionEvent)
                                 .where(SubmissionEvent.submission_id.in_(ids))).all()
    figures.graded = sum(1 for i in ids if grades.get(i, 0) >= 1)
    figures.lost = len(ids) - len(done)
    figures.duplicated = sum(1 for count in grades.values() if count > 1)
    starts = sum(1 for e in events if e.event == "grading started")
    figures.regraded = max(0, starts - len(ids))
    requeues = [e for e in events if e.event == "requeued after a fault"]
    figures.requeued_ids = sorted({e.submission_id for e in requeues})
    figures.recovery_s = max([e.at.timestamp() - fault_at for e in requeues], default=0.0)
    finished = sorted(s.graded_at.timestamp() for s in done)
    after = [fault_at] + [t for t in finished if t >= fault_at]
    figures.stall_s = max((b - a for a, b in zip(after, after[1:])), default=0.0)
    figures.drain_s = after[-1] - fault_at


def warm_up(deployment: Deployment, roster: Roster) -> None:
    """One grade through the whole path, so the burst does not wait for the worker's start."""
    run_burst(deployment, roster, "none", 1, "", 180)


# -- the script -------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faults", nargs="+", default=list(FAULTS),
                        choices=[*FAULTS, "none"])
    parser.add_argument("--uploads", type=int, default=24)
    parser.add_argument("--concurrency", type=int, default=2,
                        help="grades at once in the worker")
    parser.add_argument("--logs", type=Path, help="keep the logs of the run in this directory")
    parser.add_argument("--postgres", default=POSTGRES_ADMIN_URL,
                        help="a PostgreSQL URL whose user may CREATE DATABASE")
    args = parser.parse_args()
    import tempfile

    with (scratch_database("faults", args.postgres) as url,
          tempfile.TemporaryDirectory(prefix="faults-") as work):
        if args.logs:
            args.logs.mkdir(parents=True, exist_ok=True)
        deployment = Deployment(url, args.logs or Path(work), concurrency=args.concurrency)
        try:
            deployment.start()
            roster = Roster(deployment, 1 + args.uploads * len(args.faults))
            warm_up(deployment, roster)
            for fault in args.faults:
                started = time.monotonic()
                figures = run_burst(deployment, roster, fault, args.uploads, args.postgres,
                                    grade_timeout_s=300 + 3 * args.uploads)
                print(figures.row(), f"[{time.monotonic() - started:.0f} s]", flush=True)
        finally:
            deployment.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
