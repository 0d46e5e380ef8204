"""One attempt of a delivery: a POST to the addresses cleared for it, redirects not followed,
bounded in time (the whole attempt, not each read) and in how much of the answer is read."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpcore
import httpx

from app.webhooks.connections import PinnedBackend, Watchdog
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
    """POSTs to the cleared addresses with the URL's host in Host (and in TLS's SNI and
    certificate check), so the name is not looked up a second time; the attempt (connect,
    request, answer) ends within `timeout_s`."""
    url = httpx.URL(target.url)
    host = target.host.encode("idna")
    request_url = httpcore.URL(scheme=url.raw_scheme, host=host, port=url.port,
                               target=url.raw_path)
    started = time.monotonic()
    watchdog = Watchdog(timeout_s)
    try:
        with httpcore.ConnectionPool(network_backend=PinnedBackend(target.addresses, watchdog),
                                     max_connections=1, retries=0) as pool, watchdog:
            with pool.stream("POST", request_url, content=body, headers={
                    **headers, "Host": host_header(host.decode("ascii"), url.port)}) as response:
                text = _read_some(response)
        return AttemptResult(round(time.monotonic() - started, 3), response.status, text, None)
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as error:
        duration_s = round(time.monotonic() - started, 3)
        if watchdog.fired or isinstance(error, httpcore.TimeoutException):
            return AttemptResult(duration_s, None, None, f"no answer within {timeout_s:g} s")
        return AttemptResult(duration_s, None, None, f"{type(error).__name__}: {error}"[:300])


def host_header(host: str, port: int | None) -> str:
    """Host as RFC 9110 writes it: an IPv6 literal in brackets (else its colons read as a
    port), the port only when the URL names one that is not the scheme's."""
    name = f"[{host}]" if ":" in host else host
    return name + (f":{port}" if port is not None else "")


def _read_some(response: httpcore.Response) -> str:
    """The start of the answer; a body that the deadline (or the receiver) cuts short is
    kept as far as it came, the status being known."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_stream():
            chunks.append(chunk)
            size += len(chunk)
            if size >= 4 * RESPONSE_CHARS:
                break
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError):
        pass
    return b"".join(chunks).decode("utf-8", errors="replace")[:RESPONSE_CHARS]
