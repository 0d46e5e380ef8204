"""Where the Python runtime lives, so the sandbox can show exactly that and nothing more.

Found from the running interpreter (sys.prefix, sys.base_prefix) instead of hard-coded, so the
same code works in the checkout's .venv, in the Docker image and on a TA's laptop.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox.errors import SandboxUnavailable

VENV_INSIDE = "/opt/venv"
"""Where the venv appears inside. Not its host path: that lies in the checkout (and under
/work, which inside is the job's own directory), and its name would tell the job where the
checkout is. A venv runs from anywhere: python finds pyvenv.cfg next to bin/, not by path."""


@dataclass(frozen=True)
class Runtime:
    """The interpreter the harness runs with and the host directories it needs, read-only."""

    python: str
    """Path of the interpreter inside the sandbox."""
    mounts: tuple[tuple[str, str], ...]
    """(host directory, path inside) pairs, each mounted read-only."""


def current_runtime() -> Runtime:
    """The runtime of this process: its venv (sys.prefix) at VENV_INSIDE and the install it
    was made from (sys.base_prefix: the standard library, libpython) at its own path, because
    the venv's bin/python is an absolute symlink into it and pyvenv.cfg names it by path."""
    python = Path(sys.executable)
    if not sys.executable or not os.access(python, os.X_OK):
        raise SandboxUnavailable(f"cannot find this process's Python interpreter ({sys.executable!r})")
    base = Path(sys.base_prefix).resolve()
    mounts: list[tuple[str, str]] = [(str(base), str(base))]
    if sys.prefix != sys.base_prefix:
        venv = Path(sys.prefix)
        mounts.append((str(venv.resolve()), VENV_INSIDE))
        inside = f"{VENV_INSIDE}/{python.relative_to(venv)}"
    else:
        inside = str(python)
    # The interpreter's final target must lie in a mounted install or exec fails inside.
    target = python.resolve()
    if not target.is_relative_to(base) and not target.is_relative_to(Path(sys.prefix).resolve()):
        raise SandboxUnavailable(f"the interpreter {target} lies outside {sys.prefix} and {base}")
    return Runtime(python=inside, mounts=tuple(mounts))
