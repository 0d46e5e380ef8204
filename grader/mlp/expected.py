"""Expected values of the hidden cases: the instructor's reference/mlp.py run in float64.

Runs in the grader's own process (instructor code, trusted) on the float32-rounded inputs
the student received, widened to float64, so the only error left in the comparison is the
student's. It also estimates how far a correct float32 answer may be from float64
(`<name>.err32`): where a result cancels (a batch sum of mixed signs, BCE's 1 - y_hat for
y_hat near 0) float32 arithmetic alone moves it by more than any fixed relative tolerance.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from grader.mlp.cases import GRADS, Case

REPO_ROOT = Path(__file__).resolve().parents[2]
EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: float32's relative rounding step


@lru_cache(maxsize=4)
def load_reference(path: str):
    """The instructor's module at `path` (relative to the repository root)."""
    full = (REPO_ROOT / path).resolve()
    spec = importlib.util.spec_from_file_location(f"_reference_{full.stem}", full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_outputs(case: Case, reference) -> dict[str, np.ndarray]:
    """Every output of the case in float64, plus z1 and z3 for diagnosis, alternatives
    (`<name>.alt`) where the answer is not unique (ReLU's derivative at exactly 0), and
    the float32 error estimate (`<name>.err32`)."""
    out = run_reference(case, reference, case.inputs, torch.float64)
    ref32 = run_reference(case, reference, case.inputs, torch.float32)
    # Sums of |terms|: float32 rounding of a sum is bounded by EPS32 times this envelope.
    # Exact for linear cases (identity activations); activation cases have no real sums.
    envelope = {}
    if case.config.get("f") == "identity" and case.config.get("g") == "identity":
        envelope = run_reference(case, reference, {k: np.abs(v) for k, v in case.inputs.items()},
                                 torch.float64)
    for name in case.compare:
        err = np.abs(ref32[name] - out[name])
        if name in envelope:
            err = err + EPS32 * np.abs(envelope[name])
        out[f"{name}.err32"] = err
    if case.kind == "backward" and case.config["g"] == "relu" and case.config["B"] == 1:
        # z3 = 0 exactly (relu before relu): derivative 0 or 1 both accepted there.
        at_zero = out["z3"][0] == 0
        out["dJdb2.alt"] = np.where(at_zero, case.inputs["dJdy_hat"][0], out["dJdb2"])
    return out


def run_reference(case: Case, reference, inputs: dict[str, np.ndarray], dtype) -> dict[str, np.ndarray]:
    """The reference's outputs (as float64 arrays) on `inputs`, computed in `dtype`."""
    t = {name: torch.from_numpy(array).to(dtype) for name, array in inputs.items()}
    if case.kind == "loss":
        function = getattr(reference, case.config["function"])
        J, dJdy_hat = function(t["y"], t["y_hat"])
        return {"J": _f64(J), "dJdy_hat": _f64(dJdy_hat)}
    c = case.config
    model = reference.MLP(c["n"], c["h"], c["f"], c["h"], c["K"], c["g"])
    model.parameters = {name: t[name] for name in ("W1", "b1", "W2", "b2")}
    y_hat = model.forward(t["x"])
    out = {"y_hat": _f64(y_hat), "z1": _f64(model.cache["z1"]), "z3": _f64(model.cache["z3"])}
    if case.kind == "backward":
        model.backward(t["dJdy_hat"])
        out.update({name: _f64(model.grads[name]) for name in GRADS})
    return out


def _f64(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float64).numpy().copy()
