"""Naming the known mistake behind a wrong output, on the trusted side.

Each rule builds what a typical wrong solution would return (from the expected values and
the case's inputs) and checks whether the student's array matches it within tolerance.
Messages name the mistake, never a value.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from grader.mlp.cases import Case
from grader.mlp.compare import within_tolerance
from grader.mlp.expected import CaseExpected

WEIGHT_GRADS = {"dJdW1": "W1", "dJdW2": "W2"}
BIAS_GRADS = ("dJdb1", "dJdb2")


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """d activation / dz in float64 (identity: 1)."""
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "sigmoid":
        s = 1 / (1 + np.exp(-z))
        return s * (1 - s)
    return np.ones_like(z)


def diagnose_shape(name: str, student_shape: tuple, expected_shape: tuple) -> str | None:
    """A known reason for a wrong shape."""
    if name in WEIGHT_GRADS and student_shape == expected_shape[::-1]:
        return (f"grads['{name}'] has shape {student_shape}, the transpose of {WEIGHT_GRADS[name]}'s "
                f"shape {expected_shape}: the weight gradient is transposed")
    if name in BIAS_GRADS and student_shape == (1, *expected_shape):
        return (f"grads['{name}'] has shape {student_shape}; expected {expected_shape}, the shape "
                f"of the bias (sum over the batch without keepdim)")
    return None


def diagnose_values(case: Case, name: str, student: np.ndarray, *, reference: np.ndarray,
                    expected: CaseExpected, previous: CaseExpected | None,
                    upstream: np.ndarray | None, rtol: float, atol_scale: float,
                    slack=0.0) -> str | None:
    """The known mistake `student` matches, or None. `reference` is the value it was held
    to (a mixed case's dJdb1 chained from `upstream`, the student's own dJdb2); `previous`
    what the case before it on the same MLP object expected."""
    e = reference

    def matches(candidate) -> bool:
        return candidate.shape == student.shape and bool(np.all(
            within_tolerance(student, candidate, rtol, atol_scale, slack)))

    if not np.any(student) and np.any(e):
        return f"{_label(name)} is all zeros: it does not seem to be computed"
    if case.kind == "loss":
        message = _loss_mistake(case, name, e, matches)
        if message:
            return message
    if matches(-e):
        return f"{_label(name)} has the wrong sign"
    if name in WEIGHT_GRADS and e.shape[0] == e.shape[1] and matches(e.T):
        return f"grads['{name}'] is transposed: it must have the shape of {WEIGHT_GRADS[name]}"
    batch = case.config.B
    if name in BIAS_GRADS and batch > 1 and matches(e / batch):
        return f"grads['{name}'] is averaged over the batch; the bias gradient is the sum over the batch"
    if previous is not None and name in previous.values and matches(e + previous.values[name]):
        return (f"grads['{name}'] accumulated across calls: after clear_grad_and_cache() the "
                "gradients must start from zero (assign them in backward(), or zero them there)")
    if case.item == "linear.forward" and name == "y_hat":
        message = _missing_bias(case, e, matches)
        if message:
            return message
    activation = case.item.split(".")[0]
    if activation == "sigmoid" and case.kind == "backward":
        if matches(_activation_backward(case, name, expected.values, upstream,
                                        wrong={"sigmoid": _sigmoid_of_z_derivative})):
            return ("the sigmoid derivative is computed from z instead of from sigmoid(z): "
                    "it is s * (1 - s) with s = sigmoid(z)")
    if activation == "relu":
        message = _relu_mistake(case, name, student, e, expected.values, rtol, atol_scale, slack)
        if message:
            return message
    return None


def _label(name: str) -> str:
    return {"y_hat": "the output of forward()", "J": "J (the loss)",
            "dJdy_hat": "dJdy_hat"}.get(name, f"grads['{name}']")


def _loss_mistake(case: Case, name: str, e: np.ndarray, matches) -> str | None:
    B, K = case.inputs["y"].shape
    N = B * K
    what = "the loss" if name == "J" else "dJdy_hat"
    if N > 1 and matches(e * N):
        return f"{what} is a sum over the elements; it must be the mean over every element"
    if K > 1 and B > 1 and matches(e * K):
        return f"{what} is averaged over the batch only; it must be the mean over every element"
    if B > 1 and K > 1 and matches(e * B):
        return f"{what} is averaged over the features only; it must be the mean over every element"
    if case.loss_function == "mse_loss" and name == "dJdy_hat":
        if matches(e / 2):
            return "dJdy_hat is missing the factor 2 of the derivative of (y_hat - y)**2"
        if matches(e * 2):
            return "dJdy_hat has an extra factor 2"
    return None


def _missing_bias(case: Case, e: np.ndarray, matches) -> str | None:
    """y_hat without b1 (which reaches it through W2) or without b2 (identity activations)."""
    b1_part = case.inputs["b1"].astype(np.float64) @ case.inputs["W2"].astype(np.float64).T
    b2 = case.inputs["b2"].astype(np.float64)
    for missing, candidate in (("b1", e - b1_part), ("b2", e - b2), ("b1 and b2", e - b1_part - b2)):
        if matches(candidate):
            return f"the output of forward() lacks the bias {missing}"
    return None


def _sigmoid_of_z_derivative(z: np.ndarray) -> np.ndarray:
    return z * (1 - z)


def _activation_backward(case: Case, name: str, expected: Mapping[str, np.ndarray],
                         upstream: np.ndarray | None, wrong: dict) -> np.ndarray:
    """dJdb1/dJdb2 of an identity-weight case with some derivatives replaced: with W = I,
    the bias gradients are the batch sums of dJ/dz1 and dJ/dz3."""
    c = case.model_config

    def d(activation, z):
        return wrong[activation](z) if activation in wrong else derivative(activation, z)

    dJdz3 = case.inputs["dJdy_hat"].astype(np.float64) * d(c.g, expected["z3"])
    if name == "dJdb2":
        return dJdz3.sum(axis=0)
    if upstream is not None:  # mixed cases (batch 1): the student's own dJdb2
        return upstream * d(c.f, expected["z1"][0])
    return (dJdz3 * d(c.f, expected["z1"])).sum(axis=0)


def _relu_mistake(case: Case, name: str, student: np.ndarray, e: np.ndarray,
                  expected: Mapping[str, np.ndarray], rtol: float, atol_scale: float,
                  slack) -> str | None:
    """Wrong only where a ReLU's input is at or below 0 (`e`: the value it was held to)."""
    c = case.model_config
    wrong = ~within_tolerance(student, e, rtol, atol_scale, slack)
    if not wrong.any():
        return None
    nonpositive = np.zeros(student.shape, dtype=bool)
    if name == "y_hat" or case.kind == "forward":
        if c.f == "relu":
            nonpositive |= expected["z1"] <= 0
        if c.g == "relu":
            nonpositive |= expected["z3"] <= 0
        if np.all(nonpositive[wrong]):
            return "the ReLU output is wrong where its input is negative (it must be 0 there)"
        return None
    # Backward: a bias gradient sums the batch; an element is suspect when any row's input
    # to a ReLU on its path is at or below 0.
    if c.f == "relu" and name == "dJdb1":
        nonpositive |= np.any(expected["z1"] <= 0, axis=0)
    if c.g == "relu":
        nonpositive |= np.any(expected["z3"] <= 0, axis=0)
    if np.all(nonpositive[wrong]):
        return "the ReLU derivative is wrong where its input is at or below 0 (it must be 0 there)"
    return None
