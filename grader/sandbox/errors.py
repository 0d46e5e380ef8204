"""The sandbox's own failures, as opposed to the student's: every one of them ends a run as
Outcome.INTERNAL, so a broken grader machine never costs a student points."""

from __future__ import annotations


class SandboxError(Exception):
    """The sandbox could not do its job (not: the student's code failed)."""


class SandboxUnavailable(SandboxError):
    """A piece the sandbox needs is missing on this machine (bubblewrap, the runtime)."""


class SandboxStartError(SandboxError):
    """The sandbox was there but could not be set up or started for this job."""
