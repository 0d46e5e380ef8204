"""Expected values of the hidden cases: the instructor's reference/mlp.py run in float64.

Runs in the grader's own process (instructor code, trusted) on the float32-rounded inputs
the student received, widened to float64, so the only error left in the comparison is the
student's.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from grader.mlp.cases import GRADS, Case

REPO_ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=4)
def load_reference(path: str):
    """The instructor's module at `path` (relative to the repository root)."""
    full = (REPO_ROOT / path).resolve()
    spec = importlib.util.spec_from_file_location(f"_reference_{full.stem}", full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_outputs(case: Case, reference) -> dict[str, np.ndarray]:
    """Every output of the case in float64, plus z1 and z3 for diagnosis and alternatives
    (`<name>.alt`) where the answer is not unique (ReLU's derivative at exactly 0)."""
    t = {name: torch.from_numpy(array.astype(np.float64)) for name, array in case.inputs.items()}
    if case.kind == "loss":
        function = getattr(reference, case.config["function"])
        J, dJdy_hat = function(t["y"], t["y_hat"])
        return {"J": J.numpy().copy(), "dJdy_hat": dJdy_hat.numpy().copy()}
    c = case.config
    model = reference.MLP(c["n"], c["h"], c["f"], c["h"], c["K"], c["g"])
    model.parameters = {name: t[name] for name in ("W1", "b1", "W2", "b2")}
    model.grads = {name: torch.zeros(1, dtype=torch.float64) for name in GRADS}
    y_hat = model.forward(t["x"])
    out = {"y_hat": y_hat.numpy().copy(),
           "z1": model.cache["z1"].numpy().copy(), "z3": model.cache["z3"].numpy().copy()}
    if case.kind == "backward":
        model.backward(t["dJdy_hat"])
        out.update({name: model.grads[name].numpy().copy() for name in GRADS})
        if c["g"] == "relu" and case.config["B"] == 1:
            # z3 = 0 exactly (relu before relu): derivative 0 or 1 both accepted there.
            at_zero = out["z3"][0] == 0
            out["dJdb2.alt"] = np.where(at_zero, case.inputs["dJdy_hat"][0], out["dJdb2"])
    return out
