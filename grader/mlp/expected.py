"""Expected values of the hidden cases: the instructor's reference/mlp.py run in float64.

Runs in the grader's own process (instructor code, trusted) on the float32-rounded inputs
the student received, widened to float64, so the only error left in the comparison is the
student's. It also estimates how far a correct float32 answer may be from float64
(`ExpectedOutput.float32_error`): where a result cancels (a batch sum of mixed signs, BCE's
1 - y_hat for y_hat near 0) float32 arithmetic alone moves it by more than any fixed
relative tolerance.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import numpy as np
import torch

from grader.mlp.cases import GRADS, Case, ModelConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7: float32's relative rounding step


@dataclass(frozen=True)
class ExpectedOutput:
    """One compared output of a case as a correct answer gives it, and how far a correct
    answer may be from it."""

    value: np.ndarray
    """The reference's output in float64."""
    float32_error: np.ndarray
    """Per element: how far the reference's own float32 run is from float64."""
    conditioning: np.ndarray
    """Per element: slack for an ill-conditioned result (BCE near 0 and 1), else zeros."""
    alternative: np.ndarray | None = None
    """An also-accepted value where the answer is not unique (ReLU's derivative at 0)."""

    def allowed_error(self, float32_error_factor: float) -> np.ndarray:
        """The per-element error a correct answer may have beyond the relative tolerance:
        float32's own error on the case, times a safety factor, plus the conditioning slack."""
        return float32_error_factor * self.float32_error + self.conditioning


@dataclass(frozen=True)
class CaseExpected:
    """Everything the trusted side expects of one case."""

    values: Mapping[str, np.ndarray]
    """Every output of the reference in float64: y_hat, z1, z3 and the gradients of a
    forward/backward case; J and dJdy_hat of a loss case (diagnosis reads them all)."""
    outputs: Mapping[str, ExpectedOutput]
    """The outputs the case compares (case.compare), with their tolerances."""


@lru_cache(maxsize=4)
def load_reference(path: str):
    """The instructor's module at `path` (relative to the repository root)."""
    full = (REPO_ROOT / path).resolve()
    spec = importlib.util.spec_from_file_location(f"_reference_{full.stem}", full)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_outputs(case: Case, reference) -> CaseExpected:
    """Every output of the case in float64 (z1 and z3 too, for diagnosis); for each
    compared one its float32 error estimate, its conditioning slack (BCE near 0 and 1) and
    an alternative where the answer is not unique (ReLU's derivative at exactly 0)."""
    values = run_reference(case, reference, case.inputs, torch.float64)
    ref32 = run_reference(case, reference, case.inputs, torch.float32)
    # Sums of |terms|: float32 rounding of a sum is bounded by EPS32 times this envelope.
    # Exact for linear cases (identity activations, or relu on positive pre-activations, where
    # the envelope's pre-activations stay positive too); activation cases have no real sums.
    envelope = {}
    c = case.config
    model = c if isinstance(c, ModelConfig) else None
    if model and ((model.f == "identity" and model.g == "identity") or model.positive):
        envelope = run_reference(case, reference, {k: np.abs(v) for k, v in case.inputs.items()},
                                 torch.float64)
    cond = bce_slack(case) if case.loss_function == "bce_loss" else {}
    alternatives = {}
    if case.kind == "backward" and model.g == "relu" and not model.positive:
        # z3 = 0 exactly (relu before relu, identity weights): derivative 0 or 1 both
        # accepted there. Activation cases have W = I, so dJdb2 = sum of dJ/dz3 over the batch.
        upstream = case.inputs["dJdy_hat"].astype(np.float64)
        alternatives["dJdb2"] = (upstream * (values["z3"] >= 0)).sum(axis=0)
    outputs = {}
    for name in case.compare:
        err = np.abs(ref32[name] - values[name])
        if name in envelope:
            err = err + EPS32 * np.abs(envelope[name])
        outputs[name] = ExpectedOutput(
            value=values[name], float32_error=err,
            conditioning=cond.get(name, np.zeros_like(values[name])),
            alternative=alternatives.get(name))
    return CaseExpected(values=values, outputs=outputs)


# How far from the true prediction a correct float32 BCE may effectively evaluate it: an eps
# clamp or an added eps of up to 1e-7, plus float32's rounding of values near 1 (6e-8 each,
# as in 1 - y_hat or y_hat*y_hat).
BCE_INPUT_SLACK = 1e-7 + 2 * EPS32


def bce_slack(case: Case) -> dict[str, np.ndarray]:
    """How much J and dJdy_hat of the mean BCE move when each prediction moves by
    BCE_INPUT_SLACK (first order): correct formulas differ by that much near 0 and 1, where
    the loss is ill-conditioned; a real mistake moves them by far more."""
    y = case.inputs["y"].astype(np.float64)
    p = case.inputs["y_hat"].astype(np.float64)
    n = y.size
    q = p * (1 - p)
    dJ_dp = (p - y) / q / n  # also dJdy_hat itself
    d2J_dp2 = (q - (p - y) * (1 - 2 * p)) / q**2 / n
    return {"J": np.asarray(np.abs(dJ_dp).sum() * BCE_INPUT_SLACK),
            "dJdy_hat": np.abs(d2J_dp2) * BCE_INPUT_SLACK}


def run_reference(case: Case, reference, inputs: dict[str, np.ndarray], dtype) -> dict[str, np.ndarray]:
    """The reference's outputs (as float64 arrays) on `inputs`, computed in `dtype`."""
    t = {name: torch.from_numpy(array).to(dtype) for name, array in inputs.items()}
    if case.kind == "loss":
        function = getattr(reference, case.loss_function)
        J, dJdy_hat = function(t["y"], t["y_hat"])
        return {"J": _f64(J), "dJdy_hat": _f64(dJdy_hat)}
    c = case.model_config
    model = reference.MLP(c.n, c.h, c.f, c.h, c.K, c.g)
    model.parameters = {name: t[name] for name in ("W1", "b1", "W2", "b2")}
    y_hat = model.forward(t["x"])
    out = {"y_hat": _f64(y_hat), "z1": _f64(model.cache["z1"]), "z3": _f64(model.cache["z3"])}
    if case.kind == "backward":
        model.backward(t["dJdy_hat"])
        out.update({name: _f64(model.grads[name]) for name in GRADS})
    return out


def _f64(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().to(torch.float64).numpy().copy()
