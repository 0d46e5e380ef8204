"""URL paths the app serves, for code that links to them (API views, webhook payloads) and
for app/main.py, which mounts the routers there: one definition, so links cannot drift."""

from __future__ import annotations

API_PREFIX = "/api/v1"


def artifact_path(submission_id: int, name: str) -> str:
    return f"{API_PREFIX}/submissions/{submission_id}/artifacts/{name}"
