"""The four gd checks, judged for one call of gradient_descent from what the harness sent back.

Each check looks at one property, so a single mistake fails the check it belongs to and leaves
the others' verdicts alone: a missing clamp fails shape_and_range only (the probability is
judged on the image clamped to [0, 1]), a NaN fails finite, a model.train() call fails
model_unchanged only (the harness keeps the model in eval mode and notes the call). Messages are for the student: they name the class and the student's own
numbers, never anything hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from grader.gd.classifier import TrustedClassifier, class_probabilities
from grader.gd.config import CHECKS, GdConfig
from grader.gd.job import Target
from grader.harness.classifier_net import CLASS_NAMES
from grader.outputs import CaseOutput

# A returned image whose largest pixel change from the start image is below this (in units of
# the [0, 1] range: 1/255 is one 8-bit level) did not really move; the message says so.
_BARELY_CHANGED = 1.0 / 255
# The probability counts as having gone down when it ends this far below the start's (about
# 0.1 for every class: the classifier was trained to be unsure on grey noise).
_WENT_DOWN_BY = 0.01
# A returned tensor this close to the model's last input (relative L2 distance) is that input:
# normalised, not an image. Measured (tests/grader/gd_strategies.py, 2 classes each):
# normalising once before the loop and returning the optimised tensor 0.000; returning
# normalize_and_jitter(image), up to its roll, 0.02-0.03; every correct strategy 0.78-1.01.
# The classifier sees the target in those tensors too (probability 1.00): no probability
# threshold tells them apart.
_SAME_AS_MODEL_INPUT = 0.25


@dataclass(frozen=True)
class Verdict:
    """One check on one call."""

    status: Literal["passed", "failed", "error"]
    message: str
    """For the student."""


@dataclass
class CallJudgement:
    """Everything the grade learned from one call of gradient_descent."""

    target: Target
    verdicts: dict[str, Verdict]
    image: np.ndarray | None = None
    """The returned image clamped to [0, 1], when it has the right shape and is finite (for the
    picture)."""
    probability: float | None = None
    """The target class's probability on the returned image, computed here."""
    start_probability: float | None = None
    staff: list[str] = field(default_factory=list)
    """Details for TAs (times, probabilities, rejected arrays)."""


def judge_everything_as(target: Target, status: Literal["failed", "error"], message: str,
                        elsewhere: str | None = None) -> CallJudgement:
    """The same verdict for every check: the call produced nothing the checks could look at.

    A long message (a traceback) goes under the first check only; the others get `elsewhere`,
    a one-line pointer to it, so the student reads it once.
    """
    first = CHECKS[0]
    return CallJudgement(target=target, verdicts={
        name: Verdict(status, message if name == first or elsewhere is None else elsewhere)
        for name in CHECKS})


def judge_call(target: Target, output: CaseOutput, classifier: TrustedClassifier,
               config: GdConfig) -> CallJudgement:
    """The four verdicts for a call the harness reported on."""
    record = output.record
    status = record.get("status")
    if status == "timeout":
        return judge_everything_as(target, "error", (
            f"gradient_descent did not finish within {config.call_time_s:g} s "
            f"({config.iterations} iterations on a {config.image_size}x{config.image_size} image); "
            f"the reference solution takes about 2 s"))
    if status == "raised":
        return judge_everything_as(
            target, "error", f"gradient_descent raised an exception:\n{_text(record.get('message'))}",
            elsewhere=f"gradient_descent raised an exception (its traceback is under gd.{CHECKS[0]})")
    if status != "ok":
        return judge_everything_as(target, "error", "the harness reported nothing readable for this call")

    image = output.arrays.get("image")
    if image is None:
        what = _text(record.get("described")) or "something that is not an array"
        reason = output.rejected.get("image")
        detail = f" ({reason})" if reason else ""
        if what == "None":
            detail = " (is its body still the handout's `pass`, or is a `return` missing?)"
        return judge_everything_as(target, "error", (
            f"gradient_descent returned {what}{detail}; it must return the image, a tensor of "
            f"shape {_shape(target.start.shape)} with values in [0, 1]"))

    start = target.start.astype(np.float64)
    judgement = CallJudgement(target=target, verdicts={})
    # The time goes to TAs only: student feedback stays the same from run to run.
    judgement.staff.append(f"returned {_text(record.get('described'))} in {_text(record.get('elapsed_s'))} s "
                           f"(limit {config.call_time_s:g} s)")
    judgement.verdicts["shape_and_range"] = _shape_and_range(image, start, config,
                                                             output.arrays.get("model_input"))
    judgement.verdicts["finite"] = _finite(image)
    judgement.verdicts["model_unchanged"] = _model_unchanged(output, classifier)
    if image.shape == start.shape and np.array_equal(image, start):
        # One mistake, one deduction: the image is still a valid image and the other checks
        # judge it as such; the missing ascent costs the probability.
        judgement.verdicts["target_probability"] = Verdict(
            "failed", "gradient_descent returned the start image unchanged: no step was taken "
                      "on it (the steps must update the image you return)")
        return judgement
    judgement.verdicts["target_probability"] = _target_probability(
        image, start, target, classifier, config, judgement,
        model_changed=_model_state_changed(output, classifier),
        model_input=output.arrays.get("model_input"))
    return judgement



def _shape_and_range(image: np.ndarray, start: np.ndarray, config: GdConfig,
                     model_input: np.ndarray | None) -> Verdict:
    if image.shape != start.shape:
        return Verdict("error", f"the returned image has shape {_shape(image.shape)}; it must keep "
                                f"the input's shape {_shape(start.shape)}")
    finite = image[np.isfinite(image)]
    if finite.size == 0:
        # Range is meaningless without finite values; gd.finite reports the NaNs.
        return Verdict("failed", "no value of the returned image is finite (see gd.finite)")
    low, high = float(finite.min()), float(finite.max())
    tolerance = config.range_tolerance
    if low < -tolerance or high > 1 + tolerance:
        distance = _distance_to(image, model_input, any_roll=True)
        if distance is not None and distance < _SAME_AS_MODEL_INPUT:
            return Verdict("failed", (
                f"values range from {low:.3g} to {high:.3g}: this is normalize_and_jitter's output "
                f"(normalised and rolled), not the image; return the image itself, within [0, 1]"))
        return Verdict("failed", (
            f"values range from {low:.3g} to {high:.3g}; the image must stay within [0, 1]: "
            f"clamp it after every step (for example input.data.clamp_(0, 1))"))
    return Verdict("passed", f"shape {_shape(image.shape)}, values within [{low:.3g}, {high:.3g}]")


def _finite(image: np.ndarray) -> Verdict:
    nan = int(np.isnan(image).sum())
    inf = int(np.isinf(image).sum())
    if nan or inf:
        return Verdict("failed", (
            f"the returned image has {nan} NaN and {inf} infinite values out of {image.size}: "
            f"a NaN usually comes from dividing by a gradient (or its norm) that is 0, or from "
            f"a step on a loss that was already NaN"))
    return Verdict("passed", "no NaN or infinite values")


def _model_unchanged(output: CaseOutput, classifier: TrustedClassifier) -> Verdict:
    weights_error = output.record.get("weights_error")
    if weights_error:
        return Verdict("failed", (
            f"the model's weights could not be read after gradient_descent ({_text(weights_error)}): "
            f"it must not replace or remove the model's layers"))
    weights = output.arrays.get("weights")
    if weights is None or weights.shape != classifier.state.shape:
        return Verdict("failed", "the model's set of weights changed during gradient_descent")
    changed = _changed_tensors(weights, classifier)
    if not changed and output.record.get("train_calls"):
        return Verdict("failed", (
            "gradient_descent called model.train(): in training mode BatchNorm normalises each "
            "image by its own statistics and updates the model's running statistics, so the "
            "ascent would optimise a different network from the one that classifies the result. "
            "Leave the model in eval mode (the grader kept it there for this run)"))
    if not changed:
        return Verdict("passed", "the model's weights and statistics are unchanged")
    if all(name.endswith(("running_mean", "running_var", "num_batches_tracked")) for name in changed):
        return Verdict("failed", (
            f"the model's BatchNorm statistics changed ({', '.join(changed[:4])}): the model ran "
            f"in training mode; leave it in eval mode (do not call model.train())"))
    return Verdict("failed", (
        f"gradient_descent changed the model's weights ({', '.join(changed[:4])}"
        f"{', ...' if len(changed) > 4 else ''}): only the image may be optimised; do not give "
        f"model.parameters() to the optimizer or step on them"))


def _model_state_changed(output: CaseOutput, classifier: TrustedClassifier) -> bool:
    """Whether the model the ascent ran on differed from the grader's (a train() call alone
    does not count: the harness kept the model in eval mode)."""
    weights = output.arrays.get("weights")
    return (bool(output.record.get("weights_error")) or weights is None
            or weights.shape != classifier.state.shape or bool(_changed_tensors(weights, classifier)))


def _changed_tensors(weights: np.ndarray, classifier: TrustedClassifier) -> list[str]:
    """Names of the state_dict entries whose values differ (NaN counts as a change)."""
    changed, offset = [], 0
    for name, size in classifier.layout:
        mine, theirs = classifier.state[offset:offset + size], weights[offset:offset + size]
        if not np.array_equal(mine, theirs):
            changed.append(name)
        offset += size
    return changed


def _target_probability(image: np.ndarray, start: np.ndarray, target: Target,
                        classifier: TrustedClassifier, config: GdConfig,
                        judgement: CallJudgement, model_changed: bool,
                        model_input: np.ndarray | None) -> Verdict:
    # One mistake, one deduction: a wrong shape or values outside [0, 1] cost
    # gd.shape_and_range; the probability is that of the image as any viewer shows it:
    # clamped, and at its own size or without its batch dimension when it is still an image.
    image, reshaped = _as_image(image, start.shape)
    if image is None:
        return Verdict("error", "cannot classify an image of the wrong shape (see gd.shape_and_range)")
    if not np.isfinite(image).all():
        return Verdict("failed", "cannot classify an image with NaN or infinite values (see gd.finite)")
    seen = np.clip(image, 0.0, 1.0)
    how = [reshaped] if reshaped else []
    if not np.array_equal(seen, image):
        how.append("clamped to [0, 1]")
    clamped = f" (judged on your image {', '.join(how)})" if how else ""
    start_probabilities = class_probabilities(classifier.model, start)
    probabilities = class_probabilities(classifier.model, seen)
    p, p0 = float(probabilities[target.label]), float(start_probabilities[target.label])
    judgement.probability, judgement.start_probability = p, p0
    if seen.shape == start.shape:
        judgement.image = seen
    judgement.staff.append(f"{target.description}: probability {p0:.4f} -> {p:.6f}")
    distance = _distance_to(image, model_input, any_roll=False)
    if distance is not None:
        judgement.staff.append(f"distance to the model's last input {distance:.3f}")
    if distance is not None and distance < _SAME_AS_MODEL_INPUT:
        # Normalised once before the loop: the steps optimised the model's input, never the
        # image, and the tensor returned is that input (mean 0, std 1 per channel). The
        # classifier may well see the target in it. Returning normalize_and_jitter(image) after
        # a right ascent is rolled against the model's last input, is not caught here, and
        # costs gd.shape_and_range only.
        return Verdict("failed", (
            f"gradient_descent returned the tensor it fed to the model (normalised by "
            f"normalize_and_jitter), not the image: call normalize_and_jitter on the image inside "
            f"the loop, every step, optimise the image itself and return it, with values in [0, 1]"))
    if p >= config.threshold:
        return Verdict("passed", f"the target class's probability rose from {p0:.2f} to {p:.3f}{clamped}")
    top = int(probabilities.argmax())
    seen_as = (f"; the classifier sees your image as class {top} ({CLASS_NAMES[top]}), "
               f"probability {probabilities[top]:.2f}") if top != target.label else ""
    largest_change = float(np.abs(seen - start).max()) if seen.shape == start.shape else 1.0
    if model_changed:
        # The student's ascent ran on a model that behaved differently (train-mode BatchNorm,
        # changed weights); the image then need not fool the real one.
        hint = ("the model was changed during your call (see gd.model_unchanged), so the image "
                "was optimised for a different network; fix that first")
    elif largest_change < _BARELY_CHANGED:
        hint = (f"the image barely changed (largest pixel change {largest_change:.2g}): the steps are "
                f"too small, or the update does not reach the tensor you return")
    elif p < p0 - _WENT_DOWN_BY:
        hint = "it went down: are you descending instead of ascending? loss(...) must grow"
    else:
        hint = "take larger steps (normalise the gradient, or use an optimizer such as Adam)"
    return Verdict("failed", (
        f"the target class's probability only reached {p:.2f}{clamped} (from {p0:.2f}; needs "
        f"{config.threshold:g} after {config.iterations} iterations){seen_as}. {hint[0].upper()}{hint[1:]}"))


def _as_image(image: np.ndarray, shape: tuple) -> tuple[np.ndarray | None, str]:
    """The returned array as a (1, 3, H, W) image the classifier can take, and how it was
    read: as it is (""), without its batch dimension, or at its own size (any H and W from 32,
    the network's stride, up to 1024). None when it is not an RGB image at all."""
    if image.shape == shape:
        return image, ""
    if image.size == int(np.prod(shape)) and tuple(n for n in image.shape if n != 1) == tuple(
            n for n in shape if n != 1):
        return image.reshape(shape), f"read as shape {_shape(shape)}"
    squeezed = image.reshape(image.shape[-3:]) if image.ndim >= 3 and image.size == int(
        np.prod(image.shape[-3:])) else None
    if squeezed is not None and squeezed.shape[0] == 3 and all(32 <= n <= 1024 for n in squeezed.shape[1:]):
        return squeezed[None], f"at its own size, {squeezed.shape[1]}x{squeezed.shape[2]}"
    return None, ""


def _distance_to(image: np.ndarray, model_input: np.ndarray | None, any_roll: bool) -> float | None:
    """||image - model_input|| / ||model_input||, or with any_roll its minimum over circular
    shifts of the last two axes (normalize_and_jitter rolls by up to 32 pixels); None when there
    is no finite model input of the image's shape. Every shift at once: cross-correlation by
    FFT (~10 ms)."""
    if model_input is None or model_input.shape != image.shape or image.ndim < 2:
        return None
    size = float(np.linalg.norm(model_input))
    if not (np.isfinite(model_input).all() and np.isfinite(image).all()) or size == 0.0:
        return None
    if not any_roll:
        return float(np.linalg.norm(image - model_input)) / size
    shape = image.shape[-2:]
    correlation = np.fft.irfft2(np.fft.rfft2(image) * np.conj(np.fft.rfft2(model_input)), s=shape)
    best = float(correlation.reshape(-1, *shape).sum(axis=0).max())
    squared = float(np.sum(image**2)) + size**2 - 2.0 * best
    return float(np.sqrt(max(squared, 0.0))) / size


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _text(value: object, limit: int = 4000) -> str:
    """A record field from the sandbox as bounded text (it may be any JSON value)."""
    return (value if isinstance(value, str) else "" if value is None else str(value))[:limit]
