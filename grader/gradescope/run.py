"""The program run_autograder starts: grade /autograder/submission/{mlp,gd}.py, write
/autograder/results/results.json.

    python -m grader.gradescope.run [--root DIR] [--isolation auto|bubblewrap|fallback]

`--isolation auto` (what run_autograder passes) takes bubblewrap when a probe job runs under
it, and the fallback isolation (grader/sandbox/fallback.py) when it does not: Gradescope's
container may refuse the user namespaces bwrap needs. This is the one place that turns the
fallback on; the service never does.

Exit status: 0 when results.json was written (whatever the score); 1 when the grader itself
failed, and then no results.json is written, so Gradescope reports a failed autograder run
that the course can rerun, instead of a zero the student did not earn.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import grader
from grader.assignment import load_assignment
from grader.engine import grade_submission
from grader.gradescope.results import GradescopeResults, build_results
from grader.gradescope.settings import GradescopeSettings
from grader.sandbox import Limits, Outcome, SandboxJob, run_job
from grader.sandbox.fallback import Isolation, use_fallback

ROOT_ENV = "AUTOGRADER_GRADESCOPE_ROOT"
"""Gradescope's /autograder, moved (the tests unpack the bundle under a temporary root)."""
SOURCE_ROOT = Path(grader.__file__).resolve().parents[1]
"""The bundle's source: grader/, hidden_tests/, reference/ (/autograder/source)."""
SUBMITTED_FILES = ("mlp.py", "gd.py")
PROBE_LIMITS = Limits(cpu_time_s=10, wall_time_s=20, memory_mb=512)
"""An empty Python program under bwrap takes ~0.1 s and ~10 MB."""
LISTED_FILES = 10
"""Files named in the note when mlp.py or gd.py is missing."""


def bubblewrap_works() -> bool:
    """True when a trivial job runs under bwrap here (installed, namespaces permitted)."""
    job = SandboxJob("probe_harness.py", {"submission/probe.py": b""})
    with run_job(job, PROBE_LIMITS) as result:
        return result.outcome is Outcome.OK


def choose_isolation(choice: str, root: Path) -> Isolation:
    """The isolation of every job of this run, set up for the process."""
    if choice != "fallback":
        if bubblewrap_works():
            return Isolation(mode="bubblewrap", network=True, seccomp=True)
        if choice == "bubblewrap":
            raise SystemExit("run_autograder: bubblewrap does not run here (--isolation bubblewrap)")
    # The job's uid must not read the assignment file or the reference (fallback.py). Only
    # the bundle's own source is locked (setup.sh did it already); a checkout is not, and
    # the fallback then refuses to start a job rather than show it the checkout.
    if SOURCE_ROOT == (root / "source").resolve():
        os.chmod(SOURCE_ROOT, 0o700)
    return use_fallback(protected=[SOURCE_ROOT])


def read_submission(directory: Path) -> tuple[dict[str, bytes], list[str]]:
    """The submitted files found at the top of `directory`, and notes on those missing."""
    files, notes = {}, []
    for name in SUBMITTED_FILES:
        path = directory / name
        if path.is_file() and not path.is_symlink():
            files[name] = path.read_bytes()
    missing = [name for name in SUBMITTED_FILES if name not in files]
    if missing:
        found = sorted(str(p.relative_to(directory)) for p in directory.rglob("*")
                       if p.is_file())[:LISTED_FILES] if directory.is_dir() else []
        notes.append(f"{' and '.join(missing)} not found at the top level of your submission "
                     f"(it holds: {', '.join(found) or 'nothing'}); upload the file itself, "
                     "not a folder holding it. Its items score 0.")
    return files, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_autograder", description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=os.environ.get(ROOT_ENV, "/autograder"))
    parser.add_argument("--isolation", choices=("auto", "bubblewrap", "fallback"), default="auto")
    parser.add_argument("--assignment", default="hw1")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    started = time.monotonic()
    root = Path(args.root)
    settings = GradescopeSettings.from_table(load_assignment(args.assignment).gradescope)
    isolation = choose_isolation(args.isolation, root)
    print(f"grader {grader.__file__}\nisolation: {isolation.describe()}")
    files, notes = read_submission(root / "submission")
    grading = grade_submission(files, args.assignment)
    report = grading.report
    if grading.internal_fault:
        print(f"run_autograder: the grader failed, no results written: {report.errors}")
        return 1
    report.notes = notes + report.notes
    results = build_results(report, settings, isolation.describe(), time.monotonic() - started)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    partial = results_dir / "results.json.partial"
    partial.write_text(json.dumps(results.to_dict(), indent=2))
    partial.replace(results_dir / "results.json")
    print(stdout_summary(results, report.seed))
    return 0


def stdout_summary(results: GradescopeResults, seed: int) -> str:
    """What run_autograder prints: the tests students may see now, and the total only when
    they may see every test (a course can make stdout visible: it must not tell the hidden
    tests' outcomes)."""
    shown = [test for test in results.tests if test.visibility == "visible"]
    lines = [f"{test.name:24} {test.status:8} {test.score:g}/{test.max_score:g}" for test in shown]
    hidden = len(results.tests) - len(shown)
    total = f"total {results.score:g}" if not hidden else f"{hidden} tests not shown here"
    lines.append(f"{total}  seed {seed}  {results.execution_time} s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
