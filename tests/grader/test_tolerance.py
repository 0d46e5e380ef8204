"""The tolerance accepts every correct answer, in float32 and float64, over many seeds.

A correct student is simulated by torch autograd in float32 (and float64) on the very
inputs the student receives: independent of the reference (whose float32 run feeds the
tolerance), and trusted code, so it runs in-process.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from grader.mlp.cases import generate_cases
from grader.mlp.compare import compare_output
from grader.mlp.expected import expected_outputs, load_reference


ACTIVATIONS = {"relu": torch.relu, "sigmoid": torch.sigmoid, "identity": lambda z: z}


def _run_autograd(case, dtype):
    """A correct answer computed independently of the reference: torch autograd in `dtype`."""
    t = {name: torch.from_numpy(array).to(dtype).requires_grad_() for name, array in case.inputs.items()}
    if case.kind == "loss":
        loss = F.mse_loss if case.config["function"] == "mse_loss" else F.binary_cross_entropy
        J = loss(t["y_hat"], t["y"].detach())
        J.backward()
        return {"J": J, "dJdy_hat": t["y_hat"].grad}
    c = case.config
    z3 = F.linear(ACTIVATIONS[c["f"]](F.linear(t["x"], t["W1"], t["b1"])), t["W2"], t["b2"])
    y_hat = ACTIVATIONS[c["g"]](z3)
    out = {"y_hat": y_hat}
    if case.kind == "backward":
        y_hat.backward(t["dJdy_hat"].detach())
        out.update({f"dJd{name}": t[name].grad for name in ("W1", "b1", "W2", "b2")})
    return out


def _failures(seeds, settings, dtype):
    reference = load_reference(settings.reference)
    failures = []
    for seed in seeds:
        for case in generate_cases(seed, settings.counts):
            expected = expected_outputs(case, reference)
            got = _run_autograd(case, dtype)
            for name in case.compare:
                student = got[name].detach().numpy().astype(np.float64)
                slack = settings.float32_error_factor * expected[f"{name}.err32"]
                check = compare_output(name, student, None, expected[name], settings.rtol,
                                       settings.atol_scale, expected.get(f"{name}.alt"), slack)
                if check.status != "passed":
                    failures.append((seed, case.case_id, check.detail or check.message))
    return failures


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_correct_answers_pass_over_many_seeds(settings, dtype):
    assert _failures(range(40), settings, dtype) == []


@pytest.mark.slow
def test_correct_float32_answers_pass_over_1000_more_seeds(settings):
    assert _failures(range(1000, 2000), settings, torch.float32) == []


def test_tolerance_rejects_a_small_real_mistake(settings):
    """A 1% error in one element of a typical array fails."""
    expected = np.linspace(-3, 5, 12).reshape(3, 4)
    wrong = expected.copy()
    wrong[1, 2] *= 1.01
    assert compare_output("x", wrong, None, expected, settings.rtol, settings.atol_scale).status == "failed"
    assert compare_output("x", expected.astype(np.float32).astype(np.float64), None, expected,
                          settings.rtol, settings.atol_scale).status == "passed"
