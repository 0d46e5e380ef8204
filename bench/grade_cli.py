"""How long `autograder grade` takes, and how much of it is start-up versus grading.

Run: .venv/bin/python bench/grade_cli.py [--repeat N]
Prints the minimum and median wall times (seconds) of the whole command for mlp.py alone and for both files,
and of its parts measured separately: the host interpreter with the CLI, importing torch on
the host (the engine needs it for expected values), and one sandbox start (bubblewrap, the
interpreter and torch inside, with a submission that stops at import). Grading is the rest.
A script, not a test: numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the checkout's packages

from tests.support.paths import AUTOGRADER_COMMAND, REPO_ROOT  # noqa: E402


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=REPO_ROOT, capture_output=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({result.returncode}): {result.stderr.decode()[-500:]}")
    return elapsed


def sandbox_start_s() -> float:
    """One sandbox run of the mlp harness whose submission raises at import."""
    from grader.assignment import load_assignment
    from grader.sandbox import SandboxJob, run_job

    limits = load_assignment("hw1").limits_for("mlp")
    job = SandboxJob("mlp_harness.py", {"submission/mlp.py": b"raise SystemExit\n",
                                        "in/job.json": b'{"module": "mlp", "cases": []}'})
    start = time.perf_counter()
    with run_job(job, limits) as result:
        elapsed = time.perf_counter() - start
        if result.outcome.value != "ok":
            sys.exit(f"sandbox start failed: {result.outcome.value} {result.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    grade = [*AUTOGRADER_COMMAND, "grade", "--seed", "1", "--json", "--artifacts",
             "/tmp/autograder-bench"]
    measures = {
        "mlp": lambda: timed(grade + ["--mlp", "reference/mlp.py"]),
        "both": lambda: timed(grade + ["--mlp", "reference/mlp.py", "--gd", "reference/gd.py"]),
        "cli": lambda: timed([sys.executable, "-c", "import app.cli, grader"]),
        "torch": lambda: timed([sys.executable, "-c", "import torch"]),
        "sandbox": sandbox_start_s,
    }
    # Interleaved, so a burst of load from other processes hits every measure alike.
    runs: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(args.repeat):
        for name, measure in measures.items():
            runs[name].append(measure())
    for statistic in (min, statistics.median):
        t = {name: statistic(values) for name, values in runs.items()}
        print(f"{statistic.__name__} of {args.repeat} runs, seconds (wall)")
        for label, total, sandboxes in (("mlp.py alone", t["mlp"], 1), ("mlp.py + gd.py", t["both"], 2)):
            startup = t["cli"] + t["torch"] + sandboxes * t["sandbox"]
            print(f"  {label:15} total {total:6.2f}  start-up {startup:6.2f} "
                  f"(interpreter+CLI {t['cli']:.2f}, host torch import {t['torch']:.2f}, "
                  f"{sandboxes} x sandbox start {t['sandbox']:.2f})  grading {total - startup:6.2f}")

if __name__ == "__main__":
    main()
