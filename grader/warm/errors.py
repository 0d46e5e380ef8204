"""Why a warm run could not be trusted. Never the student's fault, never shown to them:
the pool throws the zygote away and the job runs again in a cold sandbox."""

from __future__ import annotations

from grader.sandbox.errors import SandboxError


class WarmError(SandboxError):
    """Something about warm running failed."""


class ZygoteLost(WarmError):
    """The zygote died, stopped answering or could not be put back to a clean state."""


class ReplyTimeout(ZygoteLost):
    """The zygote did not answer in time (stopped, hung, or just slow under load)."""


class NotWarmable(WarmError):
    """This job's limits do not fit a zygote (e.g. above the zygote's own rlimits, or a
    memory limit below its resident size): run it cold; the zygote itself is fine."""
