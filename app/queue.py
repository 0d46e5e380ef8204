"""The Celery application and the grading queue (Redis broker, no result backend: the
database is the record of every grade)."""

from __future__ import annotations

import base64
import json
import logging

from celery import Celery

from app.settings import Settings

log = logging.getLogger(__name__)

GRADE_TASK = "autograder.grade_submission"
DELIVER_TASK = "autograder.deliver_webhook"


def make_celery(settings: Settings) -> Celery:
    if not settings.broker_url:
        raise RuntimeError("no broker: set AUTOGRADER_BROKER_URL, or use `autograder serve`, "
                           "which starts an embedded Redis")
    celery = Celery("autograder", broker=settings.broker_url, include=["app.tasks"])
    celery.conf.update(
        # A grade is acknowledged only when it is stored, and a worker that dies mid-grade
        # gives its message back, so no accepted submission is dropped.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One message at a time per process: a prefetched grade would wait behind a slow one,
        # and a worker killed holding it would hide it from the sweep (it is queued in the
        # database, the broker has given it out): seen, one of 12 left for the hour-long
        # visibility timeout. With prefetch off a worker holds only what it runs, and what it
        # runs holds a lease the sweep watches.
        worker_prefetch_multiplier=1,
        worker_disable_prefetch=True,
        worker_concurrency=settings.worker_concurrency,
        task_default_queue=settings.queue_name,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            # Longer than the longest grade, or Redis would hand a running grade to a second
            # worker; the sweep (app/services/requeue.py) catches what falls through.
            "visibility_timeout": settings.visibility_timeout_s,
            "global_keyprefix": settings.broker_key_prefix,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return celery


def redis_client(broker_url: str):
    """A redis-py client for the broker (kombu's `redis+socket://` is redis-py's `unix://`)."""
    from redis import Redis

    if broker_url.startswith("redis+socket://"):
        broker_url = "unix://" + broker_url.removeprefix("redis+socket://")
    return Redis.from_url(broker_url, socket_timeout=5, socket_connect_timeout=5)


class GradeQueue:
    """Sends grading jobs and webhook deliveries to the workers and reports how many
    grades wait."""

    def __init__(self, celery: Celery, settings: Settings):
        self._celery = celery
        self._queue_key = settings.broker_key_prefix + settings.queue_name
        self._webhook_queue = settings.webhook_queue_name

    def enqueue(self, submission_id: int, generation: int) -> None:
        self._celery.send_task(GRADE_TASK, args=[submission_id, generation])
        log.info("queued", extra={"submission_id": submission_id, "generation": generation})

    def deliver(self, delivery_pk: int, attempts_made: int | None = None) -> None:
        """A webhook delivery, on the queue of `autograder worker --deliveries`."""
        self._celery.send_task(DELIVER_TASK, args=[delivery_pk, attempts_made],
                               queue=self._webhook_queue)

    def waiting_jobs(self, redis) -> set[tuple[int, int]]:
        """(submission id, generation) of every message waiting in Redis's list (a message
        a worker took is no longer there)."""
        jobs = set()
        for raw in redis.lrange(self._queue_key, 0, -1):
            message = json.loads(raw)
            args = json.loads(base64.b64decode(message["body"]))[0]
            jobs.add((int(args[0]), int(args[1])))
        return jobs

    def depth(self, redis) -> int:
        """Messages waiting in Redis (not those a worker holds)."""
        return int(redis.llen(self._queue_key))
