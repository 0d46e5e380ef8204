"""Labels of one gd.py: each gd check correct or wrong.

The student's gradient_descent(image, model, loss, iterations=256) runs as the handout's main()
calls it (a 224x224 start image made the same way, `lambda t: t[0, label].mean()`), once per
target class, on a fresh copy of the oracle's classifier (gd_net.py) in eval mode.

- target_probability: the code follows the gradient (the model ran on at least
  MIN_DISTINCT_INPUTS different inputs: stepping 256 times along a gradient taken once is not
  ascent) and, for every target, the returned picture as returned (a batch axis added if it lost
  it) gets the target class a probability of at least PROBABILITY_BAR. One mistake, one
  deduction: an image left outside [0, 1] or of the wrong shape loses shape_and_range, not this.
- shape_and_range: a tensor of the input's shape, every value in [0, 1].
- model_unchanged: every weight and BatchNorm statistic as before.
- finite: no NaN or infinity in the returned image.
Measured on the 30 realistic files: every correct strategy ends at 1.00 for both targets,
descent at 0.00, a no-op at the start's 0.09-0.12; a gradient taken once and stepped along 256
times also reaches 1.00 here, with 1 distinct model input.
"""

import copy

import torch

from . import gd_net
from .student import CudaOnCpu, silenced

CHECKS = ("gd.target_probability", "gd.shape_and_range", "gd.model_unchanged", "gd.finite")
TARGETS = (1, 8)
PROBABILITY_BAR = 0.5
MIN_DISTINCT_INPUTS = 32
RANGE_SLACK = 1e-6


def _picture(returned) -> torch.Tensor | None:
    """The returned image as a float (1, 3, H, W) tensor, when it can be read as one."""
    if not isinstance(returned, torch.Tensor):
        return None
    image = returned.detach().to("cpu", torch.float32)
    if image.dim() == 3:
        image = image[None]
    if image.dim() != 4 or image.shape[:2] != (1, 3) or min(image.shape[2:]) < 16:
        return None
    return image


def _fingerprint(tensor: torch.Tensor) -> tuple:
    flat = tensor.detach().reshape(-1).double()
    return tuple(tensor.shape), float(flat.sum()), float(flat[::997].sum())


def _run_once(module, classifier, label: int, seed: int):
    """(start image, returned, model after the call, distinct model inputs seen); raises what
    the student's code raises."""
    generator = torch.Generator().manual_seed(seed)
    image = gd_net.start_images(1, generator)
    image.requires_grad_()
    model = copy.deepcopy(classifier)
    inputs = set()
    model.register_forward_pre_hook(lambda _module, args: inputs.add(_fingerprint(args[0])))
    gd_net.seeded_jitter(seed)
    with silenced(), CudaOnCpu():
        returned = module.gradient_descent(image, model, lambda tensor: tensor[0, label].mean())
    return image, returned, model, len(inputs)


def label_gd(module, classifier) -> tuple[dict[str, str], str]:
    """(labels, a note with what was measured per target)."""
    ok = dict.fromkeys(CHECKS, True)
    notes = []
    for index, label in enumerate(TARGETS):
        try:
            image, returned, model, distinct_inputs = _run_once(module, classifier, label,
                                                                 seed=1000 + index)
        except Exception as error:
            return dict.fromkeys(CHECKS, "wrong"), f"raised {type(error).__name__}"
        picture = _picture(returned)
        finite = picture is not None and bool(torch.isfinite(picture).all())
        ok["gd.finite"] &= finite or (isinstance(returned, torch.Tensor)
                                      and bool(torch.isfinite(returned.detach()).all()))
        ok["gd.shape_and_range"] &= (isinstance(returned, torch.Tensor)
                                     and tuple(returned.shape) == tuple(image.shape) and finite
                                     and float(picture.min()) >= -RANGE_SLACK
                                     and float(picture.max()) <= 1 + RANGE_SLACK)
        ok["gd.model_unchanged"] &= gd_net.same_state(model, classifier)
        probability = gd_net.target_probability(classifier, picture, label) if finite else float("nan")
        ok["gd.target_probability"] &= probability >= PROBABILITY_BAR \
            and distinct_inputs >= MIN_DISTINCT_INPUTS
        notes.append(f"class {label}: p {probability:.2f}, {distinct_inputs} inputs")
    return {check: "correct" if ok[check] else "wrong" for check in CHECKS}, "; ".join(notes)
