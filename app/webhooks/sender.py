"""One attempt of a delivery: a POST to the address cleared for it, redirects not followed,
bounded in time and in how much of the answer is read."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from app.webhooks.url_policy import Target

RESPONSE_CHARS = 1000
"""Characters of the receiver's answer kept for the TA."""


@dataclass(frozen=True)
class AttemptResult:
    """What came back from one POST."""

    duration_s: float
    status: int | None
    """The receiver's HTTP status; None when it never answered."""
    body: str | None
    error: str | None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def worth_retrying(self) -> bool:
        """A timeout, a refused connection, a 5xx, 408 or 429 may pass later; a redirect or
        another 4xx answers the same again."""
        return self.status is None or self.status >= 500 or self.status in (408, 429)


def post(target: Target, body: bytes, headers: dict[str, str], timeout_s: float) -> AttemptResult:
    """POSTs to the cleared address with the URL's host in Host (and in TLS's SNI and
    certificate check), so the name is not looked up a second time."""
    parts = urlsplit(target.url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    netloc = address + (f":{parts.port}" if parts.port else "")
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = parts.hostname + (f":{parts.port}" if parts.port else "")
    started = time.monotonic()
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
            with client.stream("POST", pinned, content=body,
                               headers={**headers, "Host": host_header},
                               extensions={"sni_hostname": parts.hostname}) as response:
                text = _read_some(response, deadline=started + timeout_s)
        return AttemptResult(round(time.monotonic() - started, 3), response.status_code, text,
                             None)
    except httpx.TimeoutException:
        return AttemptResult(round(time.monotonic() - started, 3), None, None,
                             f"no answer within {timeout_s:g} s")
    except httpx.HTTPError as error:
        return AttemptResult(round(time.monotonic() - started, 3), None, None,
                             f"{type(error).__name__}: {error}"[:300])


def _read_some(response: httpx.Response, deadline: float) -> str:
    """The start of the answer; a receiver that trickles its body is cut at the deadline."""
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= 4 * RESPONSE_CHARS or time.monotonic() > deadline:
            break
    return b"".join(chunks).decode("utf-8", errors="replace")[:RESPONSE_CHARS]
