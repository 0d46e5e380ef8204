"""Checking a submitted file before anything runs: text, size, syntax.

All on the trusted side without executing the student's code: `compile()` only parses.
A file that is not usable text (empty, binary, not UTF-8, too large) makes its items
`error` with one clear reason; a syntax error shows the student's own line.
"""

from __future__ import annotations

from dataclasses import dataclass

# Largest accepted source file: 1 MB; a complete mlp.py is about 5 kB.
MAX_SOURCE_BYTES = 1_000_000


@dataclass
class SourceCheck:
    """The verdict on one submitted file."""

    source: str | None
    """The text, when it is usable text (even with a syntax error)."""
    problem: str = ""
    """Why the file cannot be graded, in words for the student; empty when it can."""
    unusable: bool = False
    """True when the file is not Python source at all (empty, binary, not UTF-8, too big)."""


def check_source(name: str, data: bytes) -> SourceCheck:
    """Validate one file's bytes; never raises for anything the student sent."""
    if len(data) > MAX_SOURCE_BYTES:
        return SourceCheck(None, f"{name} is {len(data)} bytes; the limit is {MAX_SOURCE_BYTES}", True)
    if not data.strip():
        return SourceCheck(None, f"{name} is empty", True)
    if b"\x00" in data:
        return SourceCheck(None, f"{name} is not a text file (it contains binary data)", True)
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        return SourceCheck(None, f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} on "
                                 f"line {line}); save it as UTF-8", True)
    source = source.removeprefix("\ufeff")
    try:
        compile(source, name, "exec", dont_inherit=True)
    except SyntaxError as error:
        return SourceCheck(source, syntax_message(name, source, error))
    except (ValueError, RecursionError, MemoryError) as error:
        return SourceCheck(source, f"{name} cannot be parsed: {type(error).__name__}")
    return SourceCheck(source)


def syntax_message(name: str, source: str, error: SyntaxError) -> str:
    """'mlp.py line 12: invalid syntax' followed by the student's line and a caret."""
    lineno = error.lineno or 0
    lines = source.splitlines()
    text = f"{name} has a syntax error on line {lineno}: {error.msg}"
    if 0 < lineno <= len(lines):
        line = lines[lineno - 1]
        stripped = line.lstrip()
        text += f"\n    {stripped[:200]}"
        if error.offset:
            caret = max(0, min(error.offset - 1 - (len(line) - len(stripped)), 200))
            text += "\n    " + " " * caret + "^"
    return text
