"""Where this checkout is, and the `autograder` command that runs its code."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The checkout's root: reference/, hidden_tests/, bench/ and the services' files are here."""

AUTOGRADER_COMMAND = [str(Path(sys.executable).parent / "autograder")]
"""The installed console script of this interpreter's environment, run as students and CI run
it (`python -m app.cli` would load app.cli twice, as __main__ and as app.cli, and miss its own
UsageError). An argv prefix: `[*AUTOGRADER_COMMAND, "grade", ...]`."""
