"""Judging one case: the student's outputs against the expected ones, with the diagnosis."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from grader.mlp import diagnose
from grader.mlp.cases import Case
from grader.mlp.compare import compare_output, within_tolerance
from grader.mlp.expected import CaseExpected, ExpectedOutput
from grader.mlp.sandbox_run import SandboxRun
from grader.mlp.sandbox_text import from_sandbox
from grader.mlp.scoring import CaseVerdict
from grader.mlp.settings import Settings
from grader.outputs import CaseOutput

_FUNCTION = {"forward": "forward()", "backward": "backward()"}


_IDENTITY_HINT = ("f and g may each be 'identity' (the handout lists relu | sigmoid | identity): "
                  "is it handled in forward() and in backward()?")


def judge_case(case: Case, run: SandboxRun, expected: dict[str, CaseExpected],
               settings: Settings) -> CaseVerdict:
    """Compare one case's outputs; the verdict carries student and staff messages."""
    verdict = _judge(case, run, expected, settings)
    if case.item.startswith("identity.") and any(
            "raised an exception" in message or " is None" in message for message in verdict.messages):
        verdict.messages.append(_IDENTITY_HINT)  # the usual cause: a branch nobody wrote
    return verdict


def _judge(case: Case, run: SandboxRun, expected_by_case: dict[str, CaseExpected],
           settings: Settings) -> CaseVerdict:
    verdict = CaseVerdict(case=case)
    expected = expected_by_case[case.case_id]
    if run.import_error:  # the traceback is in the report's errors, once
        last_line = run.import_error.strip().splitlines()[-1]
        return verdict.set("error", f"mlp.py could not be imported ({last_line}): see the errors")
    output = run.outputs.get(case.case_id)
    if output is None:
        return verdict.set("error", run.message or "no result came back for this case")
    status = output.record.get("status")
    where = f"{case.loss_function}()" if case.kind == "loss" else _FUNCTION[case.kind]
    if status in ("timeout", "raised"):
        where = _call_name(output.record.get("call"), where)
    if status == "timeout":
        return verdict.set("error", f"{where} {from_sandbox(output.record.get('message', 'timed out'), 200)}")
    if status == "raised":
        traceback = from_sandbox(output.record.get("message"), 4000)
        verdict.raised = _crash_signature(where, traceback)
        return verdict.set("error", f"{where} raised an exception:\n{traceback}")
    if status != "ok":
        return verdict.set("error", from_sandbox(output.record.get("message", "the case could not run"), 1000))
    described = output.record.get("described") or {}
    previous = expected_by_case.get(case.previous) if case.previous else None
    targets: dict[str, ExpectedOutput] = {}
    for name in case.compare:
        student = output.arrays.get(name)
        target, upstream = expected.outputs[name], None
        if case.chain == "f" and name == "dJdb1":
            upstream = _chain_upstream(output, expected)
            target = replace(target, value=upstream * diagnose.derivative(
                case.model_config.f, expected.values["z1"][0]))
        description = from_sandbox(described.get(name), 200) if isinstance(described, dict) \
            and described.get(name) else None
        if name in output.rejected:
            description = f"unreadable ({output.rejected[name]})"
        targets[name] = target
        slack = target.allowed_error(settings.float32_error_factor)
        check = compare_output(student, target.value, name=_display(name),
                               description=str(description) if description else None,
                               rtol=settings.rtol, atol_scale=settings.atol_scale,
                               alternative=target.alternative, slack=slack)
        if check.status == "error" and student is not None and student.shape != target.value.shape:
            check.message = diagnose.diagnose_shape(name, student.shape, target.value.shape) or check.message
        elif check.status == "failed":
            check.message = diagnose.diagnose_values(
                case, name, student, reference=target.value, expected=expected,
                previous=previous, upstream=upstream, rtol=settings.rtol,
                atol_scale=settings.atol_scale, slack=slack) or check.message
        verdict.add(check)
    if verdict.status != "passed" and case.kind == "backward":
        _name_linear_mistakes(verdict, case, output, targets, settings)
    reported = output.record.get("modified")
    modified = [name for name in reported if not (case.kind == "backward" and name == "dJdy_hat")
                ] if isinstance(reported, list) else []
    # dJdy_hat is the loss's temporary: backward() may scale it in place (nothing uses it
    # after); x, y and y_hat edited in place corrupt what the caller still uses.
    if modified and verdict.status == "passed":
        names = ", ".join(str(m)[:20] for m in modified[:4])
        verdict.set("failed", f"{where} changed its input ({names}) in place")
    return verdict


# What a backward() that divides every gradient by some count divides by (the loss then
# returns the gradient of the sum): message wording -> the count in a case.
_DIVISORS = {
    "the batch size": lambda c: c.B,
    "the number of elements of dJdy_hat": lambda c: c.B * c.K,
}
_KEPT_BATCH_AXIS = "kept with the batch axis"


def _name_linear_mistakes(verdict: CaseVerdict, case: Case, output: CaseOutput,
                          targets: dict[str, ExpectedOutput], settings: Settings) -> None:
    """Gradients wrong only by a mistake of linear.backward's code (divided by a count, a
    bias gradient kept as (1, n)): mark them, so an activation's derivative is judged on the
    student's own linear code (scoring.py); when every gradient is divided by the same
    count, name that mistake once."""
    wrong = {name for name, target in targets.items()
             if not _close(output.arrays.get(name), target, settings, 1)}
    mistakes: dict[str, str] = {}
    for name in wrong:
        student, target = output.arrays.get(name), targets[name]
        if student is None:
            continue
        if name in diagnose.BIAS_GRADS and student.shape == (1, *target.value.shape):
            if _close(student.reshape(target.value.shape), target, settings, 1):
                mistakes[name] = _KEPT_BATCH_AXIS
            continue
        for words, count in _DIVISORS.items():
            divisor = count(case.config)
            if divisor > 1 and _close(student, target, settings, divisor):
                mistakes[name] = f"divided by {words}"
                break
    if not wrong or set(mistakes) != wrong:
        return
    verdict.explained = frozenset(mistakes.items())
    divisions = set(mistakes.values())
    if set(mistakes) == set(targets) and len(divisions) == 1 and _KEPT_BATCH_AXIS not in divisions:
        words = next(iter(divisions)).removeprefix("divided by ")
        verdict.messages = [
            f"every gradient is divided by {words} in backward(): backward() receives the "
            "gradient of the mean loss already, so the mean belongs in the loss's dJdy_hat "
            "(divide there), not in backward()"]


def _close(student: np.ndarray | None, target: ExpectedOutput, settings: Settings,
           divisor: int) -> bool:
    return (student is not None and student.shape == target.value.shape and bool(np.all(
        within_tolerance(student, target.value / divisor, settings.rtol, settings.atol_scale,
                         target.allowed_error(settings.float32_error_factor) / divisor))))


def _crash_signature(where: str, traceback: str) -> str:
    """The call, the student's frames and the exception's type: the same crash in two
    items' cases, whatever the shapes in its message."""
    lines = traceback.splitlines()
    exception_type = lines[-1].split(":", 1)[0] if lines else ""
    return "\n".join([where, *lines[:-1], exception_type])


def _call_name(call, default: str) -> str:
    """The call the harness says was under way, if it is one of the known ones."""
    known = {"MLP()", "clear_grad_and_cache()", "forward()", "backward()", "mse_loss()", "bce_loss()"}
    return call if call in known else default


def _chain_upstream(output: CaseOutput, expected: CaseExpected) -> np.ndarray:
    """dJdb2 to chain dJdb1 of a mixed f/g case from: the student's own (so g's bugs do not
    count twice), unless backward() computed nothing there."""
    student_dJdb2 = output.arrays.get("dJdb2")
    upstream = expected.values["dJdb2"]
    # An all-zero dJdb2 means backward() computed nothing: then hold dJdb1 to the reference.
    if (student_dJdb2 is not None and student_dJdb2.shape == upstream.shape
            and np.all(np.isfinite(student_dJdb2)) and (np.any(student_dJdb2) or not np.any(upstream))):
        upstream = student_dJdb2
    return upstream


def _display(name: str) -> str:
    return {"y_hat": "the output of forward()", "J": "J (the loss)",
            "dJdy_hat": "dJdy_hat"}.get(name, f"grads['{name}']")
