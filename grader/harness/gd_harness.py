"""Runs a student's gd.py gradient ascent on the shipped classifier, inside the sandbox.

Like the other harnesses it judges nothing: for the target of /work/in/job.json it calls
gradient_descent(start image, model, loss, iterations=N) exactly as the handout's main()
does, and records what came back (the image) and the model's state afterwards (to show
whether the submission changed the weights), and the last input the model was called on
(so the trusted side can tell a returned image from a returned normalised tensor). The
trusted side recomputes the probability with its own copy of the classifier. One job is one
call: a grade's calls run in jobs of their own, at once.

Inputs: in/job.json ({"module", "seed", "iterations", "call_time_s", "target": {"id",
"label", "start"}}), in/classifier.npz (state_dict arrays), member <start> of
in/inputs.npz (1, 3, S, S).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves out the script's dir

import numpy as np  # noqa: E402
import torch  # noqa: E402

import classifier_net  # noqa: E402
import common  # noqa: E402


class CallTimeout(BaseException):
    """Raised by the per-call timer; a BaseException so `except Exception` cannot swallow it."""


def _on_alarm(signum, frame):
    raise CallTimeout()


def main() -> int:
    job = common.load_job()
    writer = common.ResultWriter()
    # One thread, as on the grading machine: sums then come out bit-identical run to run.
    torch.set_num_threads(1)
    common.run_cuda_on_cpu_if_asked(job.get("module", "gd"))  # GPU code runs on the CPU
    try:
        module = common.import_submission(job.get("module", "gd"))
    except common.SubmissionImportError as error:
        writer.write("_import", {"status": "import_error", "message": str(error)}, {})
        return 0
    function = getattr(module, "gradient_descent", None)
    if not callable(function):
        writer.write("_import", {"status": "import_error",
                                 "message": "gd.py defines no function `gradient_descent`"}, {})
        return 0
    with np.load(common.IN_DIR / "classifier.npz", allow_pickle=False) as weights:
        arrays = {name: weights[name] for name in weights.files}
    signal.signal(signal.SIGALRM, _on_alarm)
    seed = int(job["seed"])
    np.random.seed(seed)  # normalize_and_jitter draws its offsets from np.random
    torch.manual_seed(seed)
    target = job["target"]
    with common.open_inputs() as inputs:
        start = inputs[target["start"]]
    record, result = run_label(function, classifier_net.load_classifier(arrays), start, target, job)
    writer.write(target["id"], record, result)
    writer.close()
    return 0


@contextlib.contextmanager
def eval_mode_kept(model: torch.nn.Module, calls: list[str]):
    """The classifier stays in eval mode whatever the submission asks; each model.train() call
    on it is noted in `calls`. One mistake, one deduction: calling train() costs
    gd.model_unchanged only, and the ascent is judged on the network the grade uses. (BatchNorm
    on one image in train mode is a different network: an ascent on it does not carry over.)
    Only Module.train is intercepted; other modules (a student's own blur) switch as asked."""
    ours = {id(module) for module in model.modules()}
    original = torch.nn.Module.train

    def train(self, mode: bool = True):
        if mode and id(self) in ours:
            calls.append(type(self).__name__)
            return self
        return original(self, mode)

    torch.nn.Module.train = train
    try:
        yield
    finally:
        torch.nn.Module.train = original


def run_label(function, model: torch.nn.Module, start: np.ndarray, target: dict,
              job: dict) -> tuple[dict, dict]:
    """One call of gradient_descent; returns the record and the arrays to send back."""
    label = int(target["label"])
    image = torch.from_numpy(start).float()
    image.requires_grad_()  # as main() does before calling gradient_descent
    record: dict = {"status": "ok", "label": label}
    call_time_s = float(job["call_time_s"])
    last_input: list[torch.Tensor] = []

    def keep_input(module, inputs):
        if inputs and isinstance(inputs[0], torch.Tensor):
            last_input[:] = [inputs[0].detach()]  # a reference: the harness copies it once, after

    hook = model.register_forward_pre_hook(keep_input)
    train_calls: list[str] = []
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, call_time_s)
    try:
        with eval_mode_kept(model, train_calls):
            returned = function(image, model, lambda tensor: tensor[0, label].mean(),
                                iterations=int(job["iterations"]))
    except CallTimeout:
        record.update(status="timeout", message=f"did not finish within {call_time_s:g} s")
        return record, {}
    except BaseException as error:  # noqa: BLE001 - anything the student's code raises
        if isinstance(error, KeyboardInterrupt):
            raise
        record.update(status="raised", message=common.student_traceback(error))
        return record, {}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        hook.remove()
    record["elapsed_s"] = round(time.monotonic() - started, 3)
    if train_calls:
        record["train_calls"] = len(train_calls)
    arrays: dict[str, np.ndarray] = {}
    array, record["described"] = common.to_array(returned)
    if array is not None:
        arrays["image"] = array
    if last_input:
        model_input, _ = common.to_array(last_input[0])
        if model_input is not None:
            arrays["model_input"] = model_input
    try:
        arrays["weights"] = classifier_net.state_vector(model).numpy()
    except (RuntimeError, TypeError, AttributeError) as error:
        # The submission replaced parts of the model so that its state cannot be read.
        record["weights_error"] = f"{type(error).__name__}: {str(error)[:200]}"
    return record, arrays


if __name__ == "__main__":
    sys.exit(main())
