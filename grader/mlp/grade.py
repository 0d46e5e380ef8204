"""Grading one mlp.py: hidden cases in, one sandbox run, comparison and scores out."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np

from grader.errors import GraderFault
from grader.mlp import diagnose
from grader.mlp.cases import Case, generate_cases
from grader.mlp.compare import compare_output
from grader.mlp.expected import expected_outputs, load_reference
from grader.mlp.items import ITEMS
from grader.mlp.scoring import CaseVerdict, score_items
from grader.outputs import CaseOutput, read_results
from grader.report import FileGrade, IntegrityFlag
from grader.sandbox.limits import Limits

HARNESS = "mlp_harness.py"


@dataclass
class Settings:
    """The [mlp] table of the assignment file, typed."""

    reference: str
    rtol: float
    atol_scale: float
    float32_error_factor: float
    case_time_s: float
    max_scores: dict[str, float]
    counts: dict[str, int]

    @classmethod
    def from_config(cls, table: dict) -> "Settings":
        items = table["items"]
        missing = set(ITEMS) - set(items)
        if missing:
            raise GraderFault(f"the assignment file has no [mlp.items] for {sorted(missing)}")
        return cls(reference=table["reference"], rtol=float(table["rtol"]),
                   atol_scale=float(table["atol_scale"]),
                   float32_error_factor=float(table["float32_error_factor"]),
                   case_time_s=float(table["case_time_s"]),
                   max_scores={item: float(items[item]["max_score"]) for item in ITEMS},
                   counts={item: int(items[item]["cases"]) for item in ITEMS})


@dataclass
class SandboxRun:
    """What came back from the one sandbox run of mlp.py."""

    outputs: dict[str, CaseOutput]
    message: str = ""
    """Why cases without a result have none (a limit hit, the process died), for students."""
    import_error: str = ""
    staff: list[str] = field(default_factory=list)


def grade_mlp(source: str, config: dict, seed: int, limits: Limits,
              flags: list[IntegrityFlag] | None = None,
              zeroed: dict[str, str] | None = None) -> FileGrade:
    """Grade the validated source of mlp.py; `zeroed` maps items to why they score 0."""
    settings = Settings.from_config(config)
    cases = generate_cases(seed, settings.counts)
    run = run_in_sandbox(source, cases, settings, limits)
    reference = load_reference(settings.reference)
    expected = {case.case_id: expected_outputs(case, reference) for case in cases}
    verdicts = [judge_case(case, run, expected, settings) for case in cases]
    staff_header = "; ".join([f"seed {seed}", *run.staff])
    tests = score_items(verdicts, settings.max_scores, zeroed or {}, staff_header)
    grade = FileGrade(tests=tests, integrity=list(flags or []))
    if run.import_error:
        grade.errors.append(run.import_error)
    return grade


def build_job_files(source: str, cases: list[Case], settings: Settings) -> dict[str, bytes]:
    """The sandbox work dir's files: the submission, job.json and one .npy per input."""
    files = {"submission/mlp.py": source.encode("utf-8")}
    job_cases = []
    for case in cases:
        names = {}
        for name, array in case.inputs.items():
            file_name = f"{case.case_id}.{name}"
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            files[f"in/{file_name}.npy"] = buffer.getvalue()
            names[name] = file_name
        job_cases.append({"id": case.case_id, "kind": case.kind, "inputs": names,
                          "model": case.model, "config": case.config,
                          "function": case.config.get("function")})
    job = {"module": "mlp", "case_time_s": settings.case_time_s, "cases": job_cases}
    files["in/job.json"] = json.dumps(job).encode()
    return files


def run_in_sandbox(source: str, cases: list[Case], settings: Settings, limits: Limits) -> SandboxRun:
    from grader.sandbox import Outcome, SandboxJob, run_job
    from grader.sandbox.errors import SandboxError

    job = SandboxJob(harness=HARNESS, files=build_job_files(source, cases, settings))
    try:
        with run_job(job, limits) as result:
            if result.outcome == Outcome.INTERNAL:
                raise GraderFault(f"the sandbox failed: {result.message}")
            outputs = read_results(result.workdir, limits)
    except SandboxError as error:
        raise GraderFault(f"the sandbox failed: {error}") from error
    run = SandboxRun(outputs=outputs)
    run.staff.append(f"sandbox: {result.outcome.value}, {result.wall_time_s:.2f} s wall, "
                     f"{result.peak_memory_mb:.0f} MB peak")
    if result.outcome != Outcome.OK:
        run.message = result.message or f"the program stopped ({result.outcome.value})"
        # Staff only: stderr may hold what the student's code printed (hidden inputs too).
        run.staff.append("stderr tail: " + result.stderr[-400:].decode("utf-8", "replace"))
    imported = outputs.pop("_import", None)
    if imported is not None and imported.record.get("status") == "import_error":
        run.import_error = str(imported.record.get("message", "mlp.py could not be imported"))[:4000]
    return run


_FUNCTION = {"forward": "forward()", "backward": "backward()"}


def judge_case(case: Case, run: SandboxRun, expected: dict[str, dict], settings: Settings) -> CaseVerdict:
    """Compare one case's outputs; the verdict carries student and staff messages."""
    verdict = CaseVerdict(case=case)
    e = expected[case.case_id]
    if run.import_error:
        return verdict.set("error", run.import_error)
    output = run.outputs.get(case.case_id)
    if output is None:
        return verdict.set("error", run.message or "no result came back for this case")
    status = output.record.get("status")
    where = case.config["function"] + "()" if case.kind == "loss" else _FUNCTION[case.kind]
    if status == "timeout":
        return verdict.set("error", f"{where} {str(output.record.get('message', 'timed out'))[:200]}")
    if status == "raised":
        return verdict.set("error", f"{where} raised an exception:\n{str(output.record.get('message'))[:4000]}")
    if status != "ok":
        return verdict.set("error", str(output.record.get("message", "the case could not run"))[:1000])
    described = output.record.get("described") or {}
    previous = expected.get(case.previous) if case.previous else None
    for name in case.compare:
        student = output.arrays.get(name)
        reference = e[name]
        if case.chain == "f" and name == "dJdb1":
            e = dict(e)
            reference = e["dJdb1.chain"] = _chain_expected(case, output, e)
        description = described.get(name) if isinstance(described, dict) else None
        if name in output.rejected:
            description = f"unreadable ({output.rejected[name]})"
        slack = settings.float32_error_factor * e[f"{name}.err32"]
        check = compare_output(_display(name), student, str(description) if description else None,
                               reference, settings.rtol, settings.atol_scale, e.get(f"{name}.alt"),
                               slack)
        if check.status == "error" and student is not None and student.shape != reference.shape:
            check.message = diagnose.diagnose_shape(name, student.shape, reference.shape) or check.message
        elif check.status == "failed":
            check.message = diagnose.diagnose_values(
                case, name, student, {**e, name: reference}, previous, settings.rtol,
                settings.atol_scale, slack) or check.message
        verdict.add(check)
    modified = output.record.get("modified") or []
    if isinstance(modified, list) and modified and verdict.status == "passed":
        names = ", ".join(str(m)[:20] for m in modified[:4])
        verdict.set("failed", f"{where} changed its input ({names}) in place")
    return verdict


def _chain_expected(case: Case, output: CaseOutput, e: dict) -> np.ndarray:
    """dJdb1 of a mixed f/g case, from the student's own dJdb2 (so g's bugs do not count)."""
    student_dJdb2 = output.arrays.get("dJdb2")
    upstream = e["dJdb2"]
    # An all-zero dJdb2 means backward() computed nothing: then hold dJdb1 to the reference.
    if (student_dJdb2 is not None and student_dJdb2.shape == upstream.shape
            and np.all(np.isfinite(student_dJdb2)) and (np.any(student_dJdb2) or not np.any(upstream))):
        upstream = student_dJdb2
    e["dJdb1.upstream"] = upstream
    return upstream * diagnose.derivative(case.config["f"], e["z1"][0])


def _display(name: str) -> str:
    return {"y_hat": "the output of forward()", "J": "J (the loss)",
            "dJdy_hat": "dJdy_hat"}.get(name, f"grads['{name}']")
