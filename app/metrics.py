"""Prometheus metrics read at scrape time from Redis and the database, so they count the
work of every worker process and container, not only this API process."""

from __future__ import annotations

import logging

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.db import grades as grades_db
from app.db import submissions as submissions_db
from app.db.enums import SubmissionStatus

log = logging.getLogger(__name__)

# A grade is two sandbox runs of a few seconds each; 90 s is one run's wall-time limit.
DURATION_BUCKETS_S = (1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 90.0, 180.0)


class ServiceCollector:
    def __init__(self, sessions, redis, queue):
        self._sessions, self._redis, self._queue = sessions, redis, queue

    def collect(self):
        # The broker's list alone undercounts after a crash (a message lost with Redis, or
        # never sent): autograder_queue_depth counts what the database says waits.
        depth = GaugeMetricFamily("autograder_broker_queue_depth",
                                  "Grading jobs waiting in the broker's list")
        try:
            depth.add_metric([], self._queue.depth(self._redis))
        except RedisError:
            log.warning("queue depth unavailable: Redis did not answer")
        yield depth
        try:
            yield from self._from_database()
        except SQLAlchemyError:
            log.warning("database metrics unavailable", exc_info=True)

    def _from_database(self):
        with self._sessions() as session:
            by_status = submissions_db.count_by_status(session)
            grades = grades_db.count_grades_by_status(session)
            cumulative, count, total_s = grades_db.duration_histogram(session, DURATION_BUCKETS_S)
        yield GaugeMetricFamily("autograder_queue_depth",
                                "Submissions queued in the database, waiting for a worker",
                                value=by_status.get(SubmissionStatus.QUEUED, 0))
        submissions = GaugeMetricFamily("autograder_submissions",
                                        "Submissions by current status", labels=["status"])
        for status in SubmissionStatus:
            submissions.add_metric([status], by_status.get(status, 0))
        yield submissions
        # A gauge of stored rows rather than a counter: the database, not a process, holds it.
        stored = GaugeMetricFamily("autograder_grades", "Stored grades by report status",
                                   labels=["status"])
        for status in (SubmissionStatus.GRADED, SubmissionStatus.ERROR):
            stored.add_metric([status], grades.get(status, 0))
        yield stored
        buckets = [(str(b), c) for b, c in zip(DURATION_BUCKETS_S, cumulative)] + [("+Inf", count)]
        duration = HistogramMetricFamily("autograder_grade_duration_seconds",
                                         "Seconds the engine took per grade")
        duration.add_metric([], buckets, total_s)
        yield duration


def make_registry(sessions, redis, queue) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ServiceCollector(sessions, redis, queue))
    return registry
