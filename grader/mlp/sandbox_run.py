"""Running the hidden cases of mlp.py in the sandbox: the job's files in, raw outputs back.

Only the inputs cross into the sandbox (float32 arrays in one .npz and a JSON job);
expected values never do. A sandbox that fails itself raises GraderFault: never the student's zero.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

import numpy as np

from grader.inputs import INPUTS_FILE, inputs_npz
from grader.mlp.cases import Case
from grader.mlp.sandbox_text import from_sandbox
from grader.mlp.settings import Settings
from grader.harness_run import run_harness
from grader.outputs import CaseOutput
from grader.sandbox.limits import Limits

HARNESS = "mlp_harness.py"


@dataclass
class SandboxRun:
    """What came back from the one sandbox run of mlp.py."""

    outputs: dict[str, CaseOutput]
    message: str = ""
    """Why cases without a result have none (a limit hit, the process died), for students."""
    import_error: str = ""
    staff: list[str] = field(default_factory=list)


def build_job_files(source: str, cases: list[Case], settings: Settings) -> dict[str, bytes]:
    """The sandbox work dir's files: the submission, job.json and the inputs' .npz."""
    arrays: dict[str, np.ndarray] = {}
    job_cases = []
    for case in cases:
        names = {}
        for name, array in case.inputs.items():
            member = f"{case.case_id}.{name}"
            arrays[member] = array
            names[name] = member
        job_cases.append({"id": case.case_id, "kind": case.kind, "inputs": names,
                          "model": case.model, "config": asdict(case.config),
                          "function": case.loss_function})
    job = {"module": "mlp", "case_time_s": settings.case_time_s, "cases": job_cases}
    return {"submission/mlp.py": source.encode("utf-8"), "in/job.json": json.dumps(job).encode(),
            INPUTS_FILE: inputs_npz(arrays)}


def run_in_sandbox(source: str, cases: list[Case], settings: Settings, limits: Limits) -> SandboxRun:
    """One sandbox run of the harness over every case."""
    from grader.sandbox import Outcome, SandboxJob

    job = SandboxJob(harness=HARNESS, files=build_job_files(source, cases, settings))
    result, outputs = run_harness(job, limits)
    run = SandboxRun(outputs=outputs)
    run.staff.append(f"sandbox: {result.outcome.value}, {result.wall_time_s:.2f} s wall, "
                     f"{result.peak_memory_mb:.0f} MB peak")
    if result.outcome != Outcome.OK:
        run.message = result.message or f"the program stopped ({result.outcome.value})"
        # Staff only: stderr may hold what the student's code printed (hidden inputs too).
        run.staff.append("stderr tail: " + result.stderr[-400:].decode("utf-8", "replace"))
    imported = outputs.pop("_import", None)
    if imported is not None and imported.record.get("status") == "import_error":
        run.import_error = from_sandbox(imported.record.get("message", "mlp.py could not be imported"), 4000)
    return run
