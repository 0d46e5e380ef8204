"""The hidden cases: reproducible from the seed, independent per item, and covering what
the homework's hidden tests must cover (batch 1, sizes 1, every f/g, saturation, BCE edges)."""

import itertools

import numpy as np

from grader.mlp.cases import generate_cases
from grader.mlp.items import ITEMS


def _by_id(cases):
    return {case.case_id: case for case in cases}


def test_same_seed_same_cases_other_seed_other_cases(settings):
    first, again, other = (generate_cases(seed, settings.counts) for seed in (11, 11, 12))
    for a, b in zip(first, again):
        assert a.case_id == b.case_id and a.config == b.config
        assert all(np.array_equal(a.inputs[k], b.inputs[k]) for k in a.inputs)
    assert any(not np.array_equal(a.inputs["y_hat" if a.kind == "loss" else "x"],
                                  b.inputs["y_hat" if b.kind == "loss" else "x"])
               for a, b in zip(first, other) if a.inputs[next(iter(a.inputs))].shape
               == b.inputs[next(iter(b.inputs))].shape)


def test_changing_one_items_count_does_not_shift_the_others(settings):
    counts = dict(settings.counts, **{"relu.forward": settings.counts["relu.forward"] + 3})
    base, more = _by_id(generate_cases(5, settings.counts)), _by_id(generate_cases(5, counts))
    for case_id, case in base.items():
        assert all(np.array_equal(case.inputs[k], more[case_id].inputs[k]) for k in case.inputs)


def test_inputs_are_float32_and_cases_sharing_a_model_share_its_shape(settings):
    cases = generate_cases(3, settings.counts)
    assert all(a.dtype == np.float32 for case in cases for a in case.inputs.values())
    for model, group in itertools.groupby(sorted((c for c in cases if c.model), key=lambda c: c.model),
                                          key=lambda c: c.model):
        shapes = {tuple(a.shape for a in case.inputs.values()) for case in group}
        assert len(shapes) == 1, model


def test_coverage_over_a_few_seeds(settings):
    cases = [case for seed in range(5) for case in generate_cases(seed, settings.counts)]
    model_cases = [c for c in cases if c.kind != "loss"]
    assert {(c.config.f, c.config.g) for c in model_cases} == set(
        itertools.product(("relu", "sigmoid", "identity"), repeat=2))
    linear = [c for c in model_cases if c.item.startswith("linear")]
    assert any(c.config.B == 1 for c in linear) and any(c.config.B > 1 for c in linear)
    assert any(c.config.n == c.config.h == c.config.K == 1 for c in linear)
    assert any(c.config.h >= 32 for c in linear) and any(c.config.n >= 32 for c in linear)
    activation_backward = [c for c in model_cases
                           if c.item.endswith(("relu.backward", "sigmoid.backward", "identity.backward"))]
    # batches of 1 (where mixed cases judge dJdb1 = dJdb2 * f'(z1)) and larger ones (where a
    # derivative taken from the wrong row shows); mixed cases always batch 1
    assert {c.config.B == 1 for c in activation_backward} == {True, False}
    assert all(c.config.B == 1 for c in activation_backward if c.chain)
    # linear items judged without identity too: relu, the output layer's pre-activations
    # positive (g acts as the identity), the hidden ones of both signs (so a weight gradient
    # taken from z1 instead of relu(z1) shows)
    positive = [c for c in linear if c.config.positive]
    assert positive and all(c.config.f == c.config.g == "relu" for c in positive)
    hidden_signs = set()
    for case in positive:
        i = {k: v.astype(np.float64) for k, v in case.inputs.items()}
        z1 = i["x"] @ i["W1"].T + i["b1"]
        assert np.all(np.maximum(z1, 0) @ i["W2"].T + i["b2"] > 0.05)
        hidden_signs |= set(np.sign(z1).ravel())
    assert hidden_signs == {-1.0, 1.0}
    # ReLU inputs: never exactly 0, and some just below and just above it (|z| < 0.05),
    # where `z >= -0.05` or `z > 0.05` would be wrong
    relu_x = np.concatenate([c.inputs["x"].ravel() for c in model_cases
                             if c.item.startswith("relu")])
    assert np.all(relu_x != 0)
    assert np.any((relu_x < 0) & (relu_x > -0.05)) and np.any((relu_x > 0) & (relu_x < 0.05))
    sigmoid_x = np.concatenate([c.inputs["x"].ravel() for c in model_cases if c.item.startswith("sigmoid")])
    assert np.max(np.abs(sigmoid_x)) > 17  # float32 sigmoid(17) rounds to 1
    losses = [c for c in cases if c.kind == "loss"]
    assert {c.inputs["y"].shape for c in losses} >= {(1, 1)}
    bce = np.concatenate([c.inputs["y_hat"].ravel() for c in losses if c.config.function == "bce_loss"])
    # near 0 and 1, but no nearer than 1e-4: closer, float32 alone moves correct formulas
    assert np.all((bce >= 0.9e-4) & (bce <= 1 - 0.9e-4)) and bce.min() < 1e-3 and bce.max() > 1 - 1e-3
    labels = {c.config.labels for c in losses if c.config.function == "bce_loss"}
    assert labels == {"hard", "soft"}


def test_every_item_has_its_count(settings):
    cases = generate_cases(1, settings.counts)
    for item in ITEMS:
        assert sum(c.item == item for c in cases) == settings.counts[item]
