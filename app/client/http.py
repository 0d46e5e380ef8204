"""Calls to the autograder API with httpx; a refusal is a ClientRefused, a fault a ServerFault."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

TERMINAL = {"graded", "error", "cancelled"}


class ServerRefused(Exception):
    """The server refused the request (4xx): the arguments or files are not usable."""


class ServerFault(Exception):
    """The server or the network failed (5xx, no answer, no result in time)."""


class AutograderClient:
    def __init__(self, server: str, token: str, timeout_s: float = 60.0):
        self._http = httpx.Client(base_url=server.rstrip("/"), timeout=timeout_s,
                                  headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self._http.close()

    def submit(self, files: dict[str, Path], assignment: str, user: str | None,
               idempotency_key: str | None, callback_url: str | None = None) -> dict:
        data = ({"assignment": assignment} | ({"user": user} if user else {})
                | ({"callback_url": callback_url} if callback_url else {}))
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        uploads = {field: (path.name, path.read_bytes(), "text/x-python")
                   for field, path in files.items()}
        return self._call("POST", "/api/v1/submissions", data=data, files=uploads,
                          headers=headers)

    def read(self, submission_id: int) -> dict:
        return self._call("GET", f"/api/v1/submissions/{submission_id}")

    def wait(self, submission_id: int, timeout_s: float, poll_s: float = 2.0,
             on_poll: Callable[[dict], None] | None = None) -> dict:
        """The submission once graded (or failed, or cancelled); ServerFault if that takes
        over timeout_s. `on_poll` sees it at each poll before then."""
        deadline = time.monotonic() + timeout_s
        while True:
            submission = self.read(submission_id)
            if submission["status"] in TERMINAL:
                return submission
            if on_poll is not None:
                on_poll(submission)
            if time.monotonic() > deadline:
                raise ServerFault(f"submission {submission_id} is still {submission['status']} "
                                  f"after {timeout_s:.0f} s")
            time.sleep(poll_s)

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ServerFault(f"no answer from {self._http.base_url}: {error}") from None
        if response.status_code >= 500:
            raise ServerFault(f"server error {response.status_code} on {method} {path}")
        if response.status_code >= 400:
            detail = _detail(response)
            retry = response.headers.get("Retry-After")
            raise ServerRefused(f"{detail} (HTTP {response.status_code}"
                                + (f", retry after {retry} s)" if retry else ")"))
        return response.json()


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase
