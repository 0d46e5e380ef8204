"""The service's one typed configuration, read from AUTOGRADER_* variables and a .env file."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///./var/autograder.db"


class Settings(BaseSettings):
    """Every knob of the API and the workers; units are in the names."""

    model_config = SettingsConfigDict(env_prefix="AUTOGRADER_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    """`production` refuses the defaults that only suit one machine (SQLite, embedded Redis)."""
    database_url: str = DEFAULT_DATABASE_URL
    """SQLAlchemy URL; `postgresql+psycopg://user@host/db` for PostgreSQL."""
    broker_url: str | None = None
    """Redis URL of the Celery broker; unset, `autograder serve` starts an embedded Redis."""
    broker_key_prefix: str = ""
    """Prefix of every key the queue writes in Redis, so several deployments can share one."""
    queue_name: str = "grading"
    """The Celery queue submissions wait in."""
    data_dir: str = "./var"
    """Where the embedded Redis keeps its files."""

    upload_max_kb: int = Field(256, gt=0)
    """Largest accepted file, per file."""
    request_header_max_kb: int = Field(16, gt=0)
    """Largest request line and headers together (431 beyond): a token is 46 bytes."""
    request_header_timeout_s: float = Field(10.0, gt=0)
    """Seconds a client may take to send its request line and headers (408 beyond)."""
    request_body_timeout_s: float = Field(60.0, gt=0)
    """Seconds a client may take to send a request's body (408 beyond): both files at their
    limit (576 KB) take 6 s at 100 KB/s."""
    worker_concurrency: int = Field(2, gt=0)
    """Grades one worker runs at once: one per core. Each prefork child holds about 1.3 GB
    (torch for expected values, and its warm zygotes: AUTOGRADER_WARM_ZYGOTES)."""
    visibility_timeout_s: int = Field(3600, gt=0)
    """Seconds before Redis hands an unacknowledged grade to another worker; longer than the
    longest grade (two sandbox runs of at most 90 s wall time each, plus start-up). Crashes
    are not left to it: the sweep requeues from the database (lease_s, unconfirmed_after_s)."""
    lease_s: float = Field(60.0, gt=0)
    """A running grade's lease: its worker renews it every third of this; a worker killed
    mid-grade is found by the sweep within lease_s + sweep_interval_s."""
    unconfirmed_after_s: float = Field(15.0, gt=0)
    """A queued submission whose message the broker never took (Redis down, API killed
    between commit and send) is queued again by the sweep after this."""
    stuck_after_s: int = Field(1800, gt=0)
    """The last resort: queued (the broker took it) or running without a lease for longer
    than this, a submission is queued again."""
    sweep_interval_s: float = Field(15.0, gt=0)
    """Seconds between two sweeps (run by `autograder serve`)."""
    task_max_retries: int = Field(3, ge=0)
    """Retries of a grade after an infrastructure fault (never after a student's error)."""
    task_retry_delay_s: float = Field(15.0, ge=0)
    """Seconds before the first retry; doubled on each further retry."""
    queue_share_per_student: int = Field(1, ge=1)
    """A student's submissions waiting in the broker at once; the rest wait in the database
    (held) and are sent one by one as theirs start, so one student's ten uploads take turns
    with the class instead of holding it back (app/services/admission.py)."""
    public_url: str = "http://127.0.0.1:8000"
    """The service's address as others reach it: webhooks link the report under it."""
    webhook_secrets: dict[str, str] = {}
    """Assignment -> the secret its webhooks are signed with (HMAC-SHA256), as JSON:
    AUTOGRADER_WEBHOOK_SECRETS='{"hw1": "..."}'. Never in the repository."""
    webhook_allowed_networks: list[str] = []
    """Networks a webhook may reach although they are loopback, private, link-local or
    cloud metadata (refused otherwise), as JSON: '["127.0.0.1/32"]'."""
    webhook_queue_name: str = "webhooks"
    """The Celery queue of webhook deliveries, served by `autograder worker --deliveries`
    (threads, so a slow receiver never holds a grading slot)."""
    webhook_timeout_s: float = Field(5.0, gt=0)
    """Seconds one delivery attempt may take, connecting included."""
    webhook_max_attempts: int = Field(6, ge=1)
    webhook_retry_delay_s: float = Field(10.0, ge=0)
    """Seconds before the second attempt; doubled after each further failure (10 s to
    160 s: about 5 minutes of retries)."""
    webhook_overdue_after_s: float = Field(300.0, gt=0)
    """A pending delivery whose next attempt is this late is sent again by the sweep (its
    delivery worker died holding the message)."""
    log_format: Literal["json", "text"] = "json"
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _refuse_unsafe_defaults(self) -> "Settings":
        for assignment, secret in self.webhook_secrets.items():
            if len(secret) < 32:
                raise ValueError(f"the webhook secret of {assignment} must be at least 32 "
                                 "characters (python -c 'import secrets; "
                                 "print(secrets.token_hex(32))')")
        if self.environment != "production":
            return self
        if self.database_url == DEFAULT_DATABASE_URL:
            raise ValueError("AUTOGRADER_DATABASE_URL must be set in production "
                             "(the default is a SQLite file on this machine)")
        if not self.broker_url:
            raise ValueError("AUTOGRADER_BROKER_URL must be set in production "
                             "(the embedded Redis is for one machine)")
        return self

    @property
    def upload_max_bytes(self) -> int:
        return self.upload_max_kb * 1024


@lru_cache
def get_settings() -> Settings:
    """The settings of this process, read once."""
    return Settings()
