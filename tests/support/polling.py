"""Waiting for a state instead of sleeping a guess: poll, and fail with what was awaited once
the deadline has passed. A fixed sleep is too short on a loaded machine and too long on an
idle one."""

from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout_s: float, what: str,
               interval_s: float = 0.1) -> T:
    """Call `predicate` every `interval_s` until it returns something true, and return that;
    TimeoutError naming `what` if it has not within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(interval_s)
