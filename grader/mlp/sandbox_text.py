"""Text that came out of the sandbox, made fit for a student's eyes.

The student's code runs next to the harness and can put anything in an exception message,
including the hidden inputs it was given (all of them non-integer floats). Decimal numbers
are masked; integers stay, so shapes and line numbers still read ("(1x8 and 10x8)").
"""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?|\b\d+[eE][-+]?\d+\b")


def from_sandbox(value, limit: int) -> str:
    """`value` as text of at most `limit` characters with decimal numbers masked."""
    text = value if isinstance(value, str) else str(value)
    return _DECIMAL.sub("<number>", text[:limit])
