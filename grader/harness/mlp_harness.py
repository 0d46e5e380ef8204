"""Runs a student's mlp.py on the cases of /work/in/job.json, inside the sandbox.

It only feeds inputs and records raw outputs (one JSON line and a few .npy files per case);
it knows no expected value and judges nothing: the trusted side compares. Each case runs
under its own timer, so one hanging case costs that case, not the whole grade. The tripwire
(tripwire.py) notes any autograd the student's calls run; the trusted side judges it.
"""

from __future__ import annotations

import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves out the script's dir

import numpy as np  # noqa: E402
import torch  # noqa: E402

import common  # noqa: E402
import tripwire  # noqa: E402

GRAD_NAMES = ("dJdW1", "dJdb1", "dJdW2", "dJdb2")
PARAM_NAMES = ("W1", "b1", "W2", "b2")


class CaseTimeout(BaseException):
    """Raised by the per-case timer; a BaseException so `except Exception` cannot swallow it."""


class CaseProblem(Exception):
    """The submission cannot run this case (missing name, wrong container); student-facing."""


def _on_alarm(signum, frame):
    raise CaseTimeout()


def main() -> int:
    job = common.load_job()
    writer = common.ResultWriter()
    tripwire.install()  # before the import: a name the submission binds is already wrapped
    common.run_cuda_on_cpu_if_asked(job.get("module", "mlp"))  # GPU code runs on the CPU
    try:
        module = common.import_submission(job.get("module", "mlp"))
    except common.SubmissionImportError as error:
        writer.write("_import", {"status": "import_error", "message": str(error)}, {})
        return 0
    signal.signal(signal.SIGALRM, _on_alarm)
    case_time_s = float(job.get("case_time_s", 10))
    models: dict[str, object] = {}
    with common.open_inputs() as arrays_in:
        for case in job["cases"]:
            record, arrays = run_case(module, case, arrays_in, models, case_time_s)
            notes = tripwire.take()
            if notes:
                record["autograd"] = notes
            writer.write(case["id"], record, arrays)
    writer.close()
    return 0


def run_case(module, case: dict, arrays_in, models: dict, case_time_s: float) -> tuple[dict, dict]:
    """One case: returns the record and the arrays the student's code produced."""
    inputs = {name: torch.from_numpy(arrays_in[member]) for name, member in case["inputs"].items()}
    before = {name: tensor.clone() for name, tensor in inputs.items()}
    record: dict = {"status": "ok", "described": {}}
    arrays: dict[str, np.ndarray] = {}
    stage = {"call": f"{case.get('function')}()" if case["kind"] == "loss" else "MLP()"}
    signal.setitimer(signal.ITIMER_REAL, case_time_s)
    try:
        with tripwire.armed(stage):
            if case["kind"] == "loss":
                outputs = _run_loss(module, case["function"], inputs)
            else:
                outputs = _run_model(module, case, inputs, models, stage)
        # Converting runs student code too (a Tensor subclass's methods): still timed.
        for name, value in outputs.items():
            array, description = common.to_array(value)
            record["described"][name] = description
            if array is not None:
                arrays[name] = array
    except CaseTimeout:
        record.update(status="timeout", call=stage["call"],
                      message=f"did not finish within {case_time_s:g} s")
        models.pop(case.get("model"), None)  # its state is unknown now
        return record, {}
    except CaseProblem as problem:
        record.update(status="problem", message=str(problem))
        return record, {}
    except BaseException as error:  # noqa: BLE001 - anything the student's code raises
        if isinstance(error, KeyboardInterrupt):
            raise
        record.update(status="raised", call=stage["call"], message=common.student_traceback(error))
        models.pop(case.get("model"), None)
        return record, {}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    record["modified"] = [name for name, tensor in inputs.items()
                          if not _same(tensor, before[name])]
    return record, arrays


def _same(tensor: torch.Tensor, original: torch.Tensor) -> bool:
    return tensor.shape == original.shape and bool(torch.equal(tensor, original))


def _run_loss(module, function: str, inputs: dict) -> dict:
    loss = _attribute(module, function, "function")
    result = loss(inputs["y"], inputs["y_hat"])
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return {"J": result[0], "dJdy_hat": result[1]}
    if isinstance(result, (tuple, list)):
        what = f"{len(result)} values"
    else:
        what = common.to_array(result)[1]
    raise CaseProblem(f"{function} must return a pair (J, dJdy_hat); it returned {what}")


def _run_model(module, case: dict, inputs: dict, models: dict, stage: dict) -> dict:
    """clear, set parameters, forward (and backward); `stage` names the call under way."""
    model = models.get(case["model"])
    if model is None:
        cls = _attribute(module, "MLP", "class")
        c = case["config"]
        model = cls(c["n"], c["h"], c["f"], c["h"], c["K"], c["g"])
        models[case["model"]] = model
    stage["call"] = "clear_grad_and_cache()"
    model.clear_grad_and_cache()
    _set_parameters(model, inputs)
    stage["call"] = "forward()"
    outputs = {"y_hat": model.forward(inputs["x"])}
    if case["kind"] == "backward":
        stage["call"] = "backward()"
        model.backward(inputs["dJdy_hat"])
        grads = getattr(model, "grads", None)
        if not isinstance(grads, dict):
            raise CaseProblem("MLP has no dict `grads` after backward()")
        for name in GRAD_NAMES:
            outputs[name] = grads.get(name)
    return outputs


def _set_parameters(model, inputs: dict) -> None:
    """Write the case's weights into the student's tensors in place when they fit, else assign."""
    parameters = getattr(model, "parameters", None)
    if not isinstance(parameters, dict):
        raise CaseProblem("MLP has no dict `parameters` (W1, b1, W2, b2)")
    for name in PARAM_NAMES:
        value = inputs[name]
        current = parameters.get(name)
        if isinstance(current, torch.Tensor) and current.shape == value.shape and not current.is_complex():
            with torch.no_grad():
                current.data.copy_(value)
        else:
            parameters[name] = value.clone()


def _attribute(module, name: str, kind: str):
    value = getattr(module, name, None)
    if not callable(value):
        raise CaseProblem(f"mlp.py defines no {kind} `{name}`")
    return value


if __name__ == "__main__":
    sys.exit(main())
