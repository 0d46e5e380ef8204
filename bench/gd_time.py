"""How long gd.py's calls take in the sandbox: the reference and the slowest correct approach we
expect (bench/submissions/gd_multiscale_gpu.py: multi-scale ascent written for a GPU, 5 x 256
steps with a scipy blur each). hw1.toml's call_time_s and [limits.gd] are sized from these.

Run: .venv/bin/python bench/gd_time.py [--seed N] [--repeat N]
Grades each file through the engine (cold sandbox, both calls at once, as a worker does) and
prints each call's own time (the harness's clock) and each sandbox job's wall and CPU time.
A script, not a test: numbers depend on the machine and its load (printed with them).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader import grade  # noqa: E402

FILES = {"reference": REPO / "reference/gd.py",
         "multi-scale, GPU code, scipy blur": REPO / "bench/submissions/gd_multiscale_gpu.py"}
_CALL = re.compile(r"returned .* in ([\d.]+) s")
_SANDBOX = re.compile(r"sandbox: (\w+), ([\d.]+) s wall, ([\d.]+) s CPU")


def measure(path: Path, seed: int) -> str:
    report = grade({"gd.py": path.read_bytes()}, seed=seed)
    staff = next(t for t in report.tests if t.name == "gd.target_probability").staff_output
    statuses = {t.name: t.status for t in report.tests if t.name.startswith("gd.")}
    calls = [float(x) for x in _CALL.findall(staff)]
    jobs = [(outcome, float(wall), float(cpu)) for outcome, wall, cpu in _SANDBOX.findall(staff)]
    return (f"calls {', '.join(f'{c:.1f}' for c in calls)} s; jobs "
            + "; ".join(f"{o} {w:.1f} s wall {c:.1f} s CPU" for o, w, c in jobs)
            + f"; score {report.score:g}/{report.max_score:g} {sorted(set(statuses.values()))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    for name, path in FILES.items():
        for _ in range(args.repeat):
            print(f"{name}: {measure(path, args.seed)}", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
