"""The floor: the reference solutions run on the hidden cases in this process, through the
same harness code the sandbox runs, with no sandbox, no fork, no service; torch already
imported. What no design can beat.

The harnesses read /work; AUTOGRADER_WORK_DIR points them at a temporary directory, which
is filled with the same files grader/mlp and grader/gd write for a sandboxed run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def measure_floor(seed: int = 1, repeats: int = 5) -> dict[str, float]:
    """Median wall and CPU seconds of the mlp harness on the reference mlp.py and of the gd
    harness on the reference gd.py. CPU is the figure that does not depend on what else
    the machine runs."""
    work = Path(tempfile.mkdtemp(prefix="autograder-floor-"))
    os.environ["AUTOGRADER_WORK_DIR"] = str(work)
    sys.path.insert(0, str(REPO / "grader" / "harness"))
    try:
        import gd_harness
        import mlp_harness
        import torch

        torch.set_num_threads(1)  # as in the sandbox (OMP_NUM_THREADS=1)

        mlp = [_run(work, _mlp_files(seed), mlp_harness) for _ in range(repeats)]
        # gd.py's calls run as separate jobs (at once in the service); here one after the
        # other, so this is their sum.
        gd = [_sum(_run(work, files, gd_harness) for files in _gd_files(seed)) for _ in range(repeats)]
        return {"mlp_wall_s": statistics.median(w for w, _ in mlp),
                "mlp_cpu_s": statistics.median(c for _, c in mlp),
                "gd_wall_s": statistics.median(w for w, _ in gd),
                "gd_cpu_s": statistics.median(c for _, c in gd)}
    finally:
        sys.path.remove(str(REPO / "grader" / "harness"))
        os.environ.pop("AUTOGRADER_WORK_DIR", None)
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, files: dict[str, bytes], harness) -> tuple[float, float]:
    for entry in work.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    for module in ("mlp", "gd"):
        sys.modules.pop(module, None)  # the submission is imported afresh, as in a job
    # The reference gd.py draws a tqdm bar on stderr; not part of the measurement.
    with open(os.devnull, "w") as null, contextlib.redirect_stderr(null):
        started, cpu = time.perf_counter(), time.process_time()
        harness.main()
        return time.perf_counter() - started, time.process_time() - cpu


def _sum(runs) -> tuple[float, float]:
    walls, cpus = zip(*runs)
    return sum(walls), sum(cpus)


def _mlp_files(seed: int) -> dict[str, bytes]:
    from grader.assignment import load_assignment
    from grader.mlp.cases import generate_cases
    from grader.mlp.sandbox_run import build_job_files

    settings = load_assignment("hw1").mlp
    cases = generate_cases(seed, settings.counts)
    return build_job_files((REPO / "reference" / "mlp.py").read_text(), cases, settings)


def _gd_files(seed: int) -> list[dict[str, bytes]]:
    from grader.assignment import load_assignment
    from grader.gd.classifier import read_weights
    from grader.gd.job import build_jobs, plan_grade

    config = load_assignment("hw1").gd
    plan = plan_grade(config, seed)
    weights = read_weights(config.classifier, config.classifier_sha256)
    jobs = build_jobs((REPO / "reference" / "gd.py").read_text(), config, plan, weights)
    return [dict(job.files) for job in jobs]
