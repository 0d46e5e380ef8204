"""Ways students write gradient_descent, run in-process on the shipped classifier and judged by
the grader's own checks: the table of issue 9 (point 10) in README.md and
tests/grader/test_gd_strategies.py.

Each strategy is a gradient_descent written as students write it, on top of the handout's own
normalize_and_jitter. A call runs exactly as in the sandbox, minus the sandbox: the harness's
run_label (same start image, seed, loss and model in eval mode), then grader.gd.checks.judge_call
on what it returned. `python tests/grader/gd_strategies.py` prints the README's table (every
strategy on every class, about 4 minutes on one core).
"""

from __future__ import annotations

import importlib.util
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run as a script, too

from grader.assignment import load_assignment  # noqa: E402
from grader.gd.checks import CallJudgement, judge_call  # noqa: E402
from grader.gd.classifier import trusted_classifier  # noqa: E402
from grader.gd.config import GdConfig  # noqa: E402
from grader.gd.job import Target, start_image  # noqa: E402
from grader.harness import gd_harness  # noqa: E402
from grader.harness.classifier_net import CLASS_NAMES, load_classifier  # noqa: E402
from grader.outputs import CaseOutput  # noqa: E402
from tests.support.paths import REPO_ROOT  # noqa: E402


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HANDOUT = _load("handout_gd", REPO_ROOT / "reference/handout/gd.py")
REFERENCE = _load("reference_gd", REPO_ROOT / "reference/gd.py")
jitter = HANDOUT.normalize_and_jitter

Ascent = Callable[..., torch.Tensor]
"""gradient_descent(input, model, loss, iterations=256) -> image."""


@dataclass(frozen=True)
class Strategy:
    name: str
    reaches_target: bool
    """Whether gd.target_probability must pass, for every class: every right ascent, and the
    two whose one mistake costs gd.shape_and_range only (no clamp; returning
    normalize_and_jitter(image)). Descent, a no-op and normalising once must fail it."""
    ascent: Ascent


# -- the update rules students write ---------------------------------------------------------
def stepping(update: Callable[[torch.Tensor], torch.Tensor], clamp: bool = True) -> Ascent:
    """`input.data += update(input.grad)` after each backward of loss(model(jitter(input)))."""

    def gradient_descent(input, model, loss, iterations=256):
        for _ in range(iterations):
            input.grad = None
            loss(model(jitter(input))).backward()
            with torch.no_grad():
                input += update(input.grad)
                if clamp:
                    input.clamp_(0, 1)
        return input.detach()

    return gradient_descent


def optimizing(make: Callable[[list[torch.Tensor]], torch.optim.Optimizer], sign: float = 1.0) -> Ascent:
    """A torch optimizer on -loss (sign -1: on +loss, i.e. descent), clamped after each step."""

    def gradient_descent(input, model, loss, iterations=256):
        optimizer = make([input])
        for _ in range(iterations):
            optimizer.zero_grad()
            (-sign * loss(model(jitter(input)))).backward()
            optimizer.step()
            with torch.no_grad():
                input.clamp_(0, 1)
        return input.detach()

    return gradient_descent


def normalising_once(lr: float, clamp_normalised: bool = False) -> Ascent:
    """normalize_and_jitter called once before the loop; Adam on that (normalised) tensor, which
    is returned. clamp_normalised: clamped to [0, 1] each step, as if it were the image."""

    def gradient_descent(input, model, loss, iterations=256):
        image = jitter(input).detach().requires_grad_()
        optimizer = torch.optim.Adam([image], lr=lr)
        for _ in range(iterations):
            optimizer.zero_grad()
            (-loss(model(image))).backward()
            optimizer.step()
            if clamp_normalised:
                with torch.no_grad():
                    image.clamp_(0, 1)
        return image.detach()

    return gradient_descent


def returning_jittered(input, model, loss, iterations=256):
    """Right ascent, but it returns normalize_and_jitter(image): a normalised tensor."""
    image = stepping(lambda g: 0.1 * g)(input, model, loss, iterations)
    return jitter(image)


def no_op(input, model, loss, iterations=256):
    return input.detach()


def _sgd(lr):
    return lambda params: torch.optim.SGD(params, lr=lr)


def _adam(lr):
    return lambda params: torch.optim.Adam(params, lr=lr)


STRATEGIES: tuple[Strategy, ...] = (
    *(Strategy(f"plain: input += {lr} * grad", True, stepping(lambda g, lr=lr: lr * g))
      for lr in (0.01, 0.03, 0.1, 0.3, 1.0)),
    Strategy("plain: input += 0.1 * grad, no clamp", True, stepping(lambda g: 0.1 * g, clamp=False)),
    Strategy("SGD(lr=0.1) on -loss", True, optimizing(_sgd(0.1))),
    *(Strategy(f"normalised: {lr} * grad / grad.norm()", True, stepping(lambda g, lr=lr: lr * g / g.norm()))
      for lr in (1.0, 25.0)),
    *(Strategy(f"normalised: {lr} * grad / grad.abs().max()", True,
               stepping(lambda g, lr=lr: lr * g / g.abs().max())) for lr in (0.01, 0.1)),
    Strategy("normalised: 0.01 * grad / grad.std()", True, stepping(lambda g: 0.01 * g / g.std())),
    *(Strategy(f"sign: {lr} * grad.sign()", True, stepping(lambda g, lr=lr: lr * g.sign()))
      for lr in (0.001, 0.01)),
    *(Strategy(f"Adam(lr={lr}) on -loss", True, optimizing(_adam(lr))) for lr in (0.001, 0.01, 0.1)),
    Strategy("reference/gd.py (Adam 0.03, blur)", True, REFERENCE.gradient_descent),
    Strategy("descent: input -= 0.1 * grad", False, stepping(lambda g: -0.1 * g)),
    Strategy("descent: Adam(lr=0.01) on +loss", False, optimizing(_adam(0.01), sign=-1.0)),
    Strategy("no-op: returns the input", False, no_op),
    Strategy("normalised once, Adam(lr=0.01) on it", False, normalising_once(0.01)),
    Strategy("normalised once, Adam(lr=0.1), clamped", False, normalising_once(0.1, clamp_normalised=True)),
    Strategy("returns normalize_and_jitter(image)", True, returning_jittered),
)


# -- running one call as the harness does ----------------------------------------------------
def config() -> GdConfig:
    return load_assignment("hw1").gd


def run_call(strategy: Strategy, label: int, settings: GdConfig, seed: int = 0) -> CallJudgement:
    """One call: the start image of (seed, label), the harness's run_label, the grader's judge."""
    torch.set_num_threads(1)
    classifier = trusted_classifier(settings.classifier, settings.classifier_sha256)
    with np.load(settings.classifier, allow_pickle=False) as weights:
        model = load_classifier({name: weights[name] for name in weights.files})
    target = Target(case_id="label0", label=label,
                    start=start_image(np.random.default_rng([seed, label]), settings.image_size))
    np.random.seed(seed * 100 + label)  # normalize_and_jitter's offsets
    torch.manual_seed(seed * 100 + label)
    previous = signal.signal(signal.SIGALRM, gd_harness._on_alarm)
    try:
        record, arrays = gd_harness.run_label(
            strategy.ascent, model, target.start.copy(), {"label": label},  # a copy: steps are in place
            {"call_time_s": settings.call_time_s, "iterations": settings.iterations})
    finally:
        signal.signal(signal.SIGALRM, previous)
    output = CaseOutput(case_id="label0", record=record,
                        arrays={name: np.asarray(array, dtype=np.float64) for name, array in arrays.items()})
    return judge_call(target, output, classifier, settings)


def table(labels=range(len(CLASS_NAMES))) -> str:
    """Markdown: one row per strategy, the probability reached per class (p0 -> p), with a
    mark where the verdict is not the one the strategy deserves."""
    settings = config()
    head = "| strategy | " + " | ".join(str(label) for label in labels) + " | verdict |"
    lines = [head, "| --- " * (len(labels) + 2) + "|"]
    for strategy in STRATEGIES:
        cells, right = [], 0
        for label in labels:
            judgement = run_call(strategy, label, settings)
            passed = judgement.verdicts["target_probability"].status == "passed"
            right += passed == strategy.reaches_target
            p = judgement.probability
            cells.append(("–" if p is None else f"{p:.3f}") + ("" if passed == strategy.reaches_target else " ✗"))
        verdict = ("passes" if strategy.reaches_target else "fails") + f" {right}/{len(labels)}"
        lines.append(f"| {strategy.name} | " + " | ".join(cells) + f" | {verdict} |")
        print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
