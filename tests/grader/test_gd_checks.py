"""The gd checks on the trusted side, fed with real images and the real shipped classifier.

No sandbox here: each test builds what the harness would have sent back (a CaseOutput) from
images made in this process, so every check and message can be pinned down in milliseconds.
The end-to-end runs through the sandbox are in test_gd_grade.py.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import tomllib

import cv2
import numpy as np
import pytest
import torch

from grader.assignment import HIDDEN_TESTS_DIR, load_assignment
from grader.errors import AssignmentError, GraderFault
from grader.gd.checks import judge_call
from grader.gd.classifier import IMAGENET_MEAN, IMAGENET_STD, trusted_classifier
from grader.gd.config import CHECKS, REPO_ROOT, GdConfig
from grader.gd.job import build_jobs, plan_grade
from grader.gd.picture import render_picture
from grader.gd.scoring import score_checks
from grader.harness.classifier_net import CLASS_NAMES, load_classifier
from grader.outputs import CaseOutput


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread, as in the sandbox: on 2 shared cores two threads only contend."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def config(assignment) -> GdConfig:
    return assignment.gd


@pytest.fixture(scope="module")
def classifier(config):
    return trusted_classifier(config.classifier, config.classifier_sha256)


@pytest.fixture(scope="module")
def plan(config):
    return plan_grade(config, seed=7)


def ascend(start: np.ndarray, label: int, sign: float = 1.0, steps: int = 32) -> np.ndarray:
    """Adam on the pixels of a float32 copy of the classifier, clamped to [0, 1] (test-side code)."""
    arrays = dict(np.load(REPO_ROOT / "reference/classifier/classifier.npz", allow_pickle=False))
    model = load_classifier(arrays)
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    image = torch.from_numpy(start.copy()).requires_grad_()
    optimizer = torch.optim.Adam([image], lr=0.02)
    for _ in range(steps):
        optimizer.zero_grad()
        (-sign * model((image - mean) / std)[0, label]).backward()
        optimizer.step()
        with torch.no_grad():
            image.clamp_(0, 1)
    return image.detach().numpy().astype(np.float64)


def output_for(image, weights, **record) -> CaseOutput:
    arrays = {"weights": weights}
    if image is not None:
        arrays["image"] = image
    return CaseOutput(case_id="label0", record={"status": "ok", "described": "a Tensor", **record},
                      arrays=arrays)


@pytest.fixture(scope="module")
def good_image(plan):
    target = plan.targets[0]
    return ascend(target.start, target.label)


def statuses(judgement) -> dict[str, str]:
    return {name: judgement.verdicts[name].status for name in CHECKS}


def test_an_ascended_image_passes_every_check(plan, good_image, classifier, config):
    judgement = judge_call(plan.targets[0], output_for(good_image, classifier.state), classifier, config)
    assert statuses(judgement) == dict.fromkeys(CHECKS, "passed")
    assert judgement.probability >= config.threshold
    assert judgement.start_probability < 0.2


def test_descent_fails_only_the_probability_and_says_descending(plan, classifier, config):
    target = plan.targets[0]
    image = ascend(target.start, target.label, sign=-1.0, steps=8)
    judgement = judge_call(target, output_for(image, classifier.state), classifier, config)
    assert statuses(judgement) == {"target_probability": "failed", "shape_and_range": "passed",
                                   "model_unchanged": "passed", "finite": "passed"}
    assert "descending instead of ascending" in judgement.verdicts["target_probability"].message
    assert judgement.probability < judgement.start_probability


def test_values_outside_0_1_fail_only_shape_and_range(plan, good_image, classifier, config):
    image = good_image * 1.5 - 0.25  # what forgetting the clamp looks like: beyond both ends
    judgement = judge_call(plan.targets[0], output_for(image, classifier.state), classifier, config)
    assert judgement.verdicts["shape_and_range"].status == "failed"
    assert "clamp" in judgement.verdicts["shape_and_range"].message
    assert judgement.verdicts["finite"].status == "passed"
    assert judgement.verdicts["model_unchanged"].status == "passed"
    # One mistake, one deduction: the probability is that of the image clamped to [0, 1].
    assert judgement.verdicts["target_probability"].status == "passed"
    assert "clamped to [0, 1]" in judgement.verdicts["target_probability"].message
    assert np.array_equal(judgement.image, np.clip(image, 0, 1))


def test_returning_the_model_input_fails_the_probability_and_says_why(plan, good_image, classifier, config):
    # Normalising once before the loop: the returned tensor is what the model was fed (here
    # rolled as normalize_and_jitter rolls it); the classifier may well see the target in it.
    mean = np.array(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)
    fed = np.roll((good_image - mean) / std, (5, -7), axis=(-2, -1))
    output = output_for(fed, classifier.state)
    output.arrays["model_input"] = fed
    verdict = judge_call(plan.targets[0], output, classifier, config).verdicts["target_probability"]
    assert verdict.status == "failed"
    assert "returned the tensor it fed to the model" in verdict.message
    # The right image with the model's last input beside it passes.
    output = output_for(good_image, classifier.state)
    output.arrays["model_input"] = np.roll((good_image - mean) / std, (5, -7), axis=(-2, -1))
    assert judge_call(plan.targets[0], output, classifier, config).verdicts["target_probability"].status == "passed"


def test_returning_normalize_and_jitter_of_the_image_costs_the_range_only(plan, good_image, classifier,
                                                                          config):
    # A right ascent that returns normalize_and_jitter(image): rolled against the model's last
    # input (another jitter), out of [0, 1]. One mistake: gd.shape_and_range, which names it;
    # the probability is judged as for any image (this one, ascended without jitter, does not
    # survive being normalised twice; jittered ascents do: test_gd_strategies.py).
    mean = np.array(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)
    normalised = (good_image - mean) / std
    output = output_for(np.roll(normalised, (3, 11), axis=(-2, -1)), classifier.state)
    output.arrays["model_input"] = np.roll(normalised, (-20, 2), axis=(-2, -1))
    judgement = judge_call(plan.targets[0], output, classifier, config)
    assert "fed to the model" not in judgement.verdicts["target_probability"].message
    assert judgement.verdicts["shape_and_range"].status == "failed"
    assert "normalize_and_jitter's output" in judgement.verdicts["shape_and_range"].message


def test_rounding_within_the_tolerance_is_inside_the_range(plan, good_image, classifier, config):
    image = good_image.copy()
    image[0, 0, 0, 0] = 1.0 + config.range_tolerance / 2
    judgement = judge_call(plan.targets[0], output_for(image, classifier.state), classifier, config)
    assert judgement.verdicts["shape_and_range"].status == "passed"


def test_nan_fails_finite_and_the_probability(plan, good_image, classifier, config):
    image = good_image.copy()
    image[0, 1, 10:20, 10:20] = np.nan
    judgement = judge_call(plan.targets[0], output_for(image, classifier.state), classifier, config)
    assert judgement.verdicts["finite"].status == "failed"
    assert "100 NaN" in judgement.verdicts["finite"].message
    assert judgement.verdicts["target_probability"].status == "failed"
    assert judgement.verdicts["shape_and_range"].status == "passed"  # the finite values are in range
    assert judgement.verdicts["model_unchanged"].status == "passed"


def test_changed_weights_fail_model_unchanged_and_name_the_tensor(plan, good_image, classifier, config):
    weights = classifier.state.copy()
    weights[0] += 1e-3  # the first conv's first weight (module 1: after the fixed 4x4 average)
    judgement = judge_call(plan.targets[0], output_for(good_image, weights), classifier, config)
    verdict = judgement.verdicts["model_unchanged"]
    assert verdict.status == "failed"
    assert "1.weight" in verdict.message and "optimizer" in verdict.message
    assert judgement.verdicts["target_probability"].status == "passed"


def test_changed_batchnorm_statistics_point_at_train_mode(plan, good_image, classifier, config):
    weights = classifier.state.copy()
    offset = 0
    for name, size in classifier.layout:
        if name == "2.running_mean":
            weights[offset:offset + size] += 0.01
        offset += size
    judgement = judge_call(plan.targets[0], output_for(good_image, weights), classifier, config)
    verdict = judgement.verdicts["model_unchanged"]
    assert verdict.status == "failed"
    assert "2.running_mean" in verdict.message and "eval mode" in verdict.message


def test_a_missing_batch_dimension_costs_the_shape_only(plan, good_image, classifier, config):
    judgement = judge_call(plan.targets[0], output_for(good_image[0], classifier.state), classifier, config)
    assert judgement.verdicts["shape_and_range"].status == "error"
    assert "(3, 224, 224)" in judgement.verdicts["shape_and_range"].message
    assert "(1, 3, 224, 224)" in judgement.verdicts["shape_and_range"].message
    verdict = judgement.verdicts["target_probability"]
    assert verdict.status == "passed" and "read as shape (1, 3, 224, 224)" in verdict.message


def test_an_image_of_another_size_is_judged_at_its_size(plan, good_image, classifier, config):
    # Multi-scale ascent that forgot the last upsampling: a 112x112 image of the class.
    small = good_image.reshape(1, 3, 112, 2, 112, 2).mean(axis=(3, 5))
    judgement = judge_call(plan.targets[0], output_for(small, classifier.state), classifier, config)
    assert judgement.verdicts["shape_and_range"].status == "error"
    verdict = judgement.verdicts["target_probability"]
    assert verdict.status == "passed" and "at its own size, 112x112" in verdict.message
    assert judgement.image is None  # the picture shows 224x224 images only


def test_what_is_no_image_cannot_be_classified(plan, good_image, classifier, config):
    for array in (good_image[0, 0], good_image[:, :, :16, :16], np.zeros((2, 3, 224, 224))):
        judgement = judge_call(plan.targets[0], output_for(array, classifier.state), classifier, config)
        assert judgement.verdicts["target_probability"].status == "error", array.shape
        assert "wrong shape" in judgement.verdicts["target_probability"].message


def test_returning_none_is_an_error_everywhere(plan, classifier, config):
    output = output_for(None, classifier.state, described="None")
    judgement = judge_call(plan.targets[0], output, classifier, config)
    assert statuses(judgement) == dict.fromkeys(CHECKS, "error")
    assert "returned None" in judgement.verdicts["finite"].message


def test_the_untouched_start_image_costs_the_probability_only(plan, classifier, config):
    """One mistake, one deduction: no step was taken, but what came back is a valid image
    of a model left alone (the realistic corpus's no-op, labelled by the oracle)."""
    target = plan.targets[0]
    judgement = judge_call(target, output_for(target.start.astype(np.float64), classifier.state),
                           classifier, config)
    assert statuses(judgement) == {**dict.fromkeys(CHECKS, "passed"), "target_probability": "failed"}
    assert "unchanged" in judgement.verdicts["target_probability"].message


def test_partial_credit_is_the_share_of_labels_passed(plan, good_image, classifier, config):
    first, second = plan.targets
    judgements = [judge_call(first, output_for(good_image, classifier.state), classifier, config),
                  judge_call(second, output_for(second.start * 0.99, classifier.state), classifier, config)]
    tests = {t.name: t for t in score_checks(judgements, config)}
    probability = tests["gd.target_probability"]
    assert probability.status == "failed"
    assert probability.score == pytest.approx(probability.max_score / 2)
    assert tests["gd.finite"].score == tests["gd.finite"].max_score
    assert first.description in probability.output and second.description in probability.output


def test_plan_is_reproducible_and_depends_on_the_seed(config):
    a, b = plan_grade(config, 123), plan_grade(config, 123)
    assert [t.label for t in a.targets] == [t.label for t in b.targets]
    assert all(np.array_equal(x.start, y.start) for x, y in zip(a.targets, b.targets))
    assert a.harness_seed == b.harness_seed
    plans = [plan_grade(config, seed) for seed in range(20)]
    assert len({tuple(t.label for t in p.targets) for p in plans}) > 5
    for p in plans:
        labels = [t.label for t in p.targets]
        assert len(set(labels)) == len(labels) == config.labels
        start = p.targets[0].start
        assert start.shape == (1, 3, config.image_size, config.image_size)
        assert start.dtype == np.float32
        # main()'s grey noise: 128/255 = 0.502, standard deviation 8/255 = 0.031
        assert abs(start.mean() - 0.502) < 0.005 and abs(start.std() - 0.0314) < 0.002


def test_one_job_per_call_carries_the_submission_weights_start_and_seed(config, plan):
    jobs = build_jobs("print('hi')\n", config, plan, b"weights")
    assert len(jobs) == len(plan.targets) == config.labels
    for index, (job, target) in enumerate(zip(jobs, plan.targets)):
        assert job.harness == "gd_harness.py"
        assert job.files["submission/gd.py"] == b"print('hi')\n"
        assert job.files["in/classifier.npz"] == b"weights"
        with np.load(io.BytesIO(job.files["in/inputs.npz"]), allow_pickle=False) as inputs:
            assert np.array_equal(inputs["start"], target.start)
        spec = json.loads(job.files["in/job.json"])
        assert spec["seed"] == plan.harness_seed + index
        assert spec["target"] == {"id": target.case_id, "label": target.label, "start": "start"}


def test_a_different_weights_file_is_refused(config, tmp_path):
    changed = bytearray(config.classifier.read_bytes())
    changed[-100] ^= 0xFF
    path = tmp_path / "classifier.npz"
    path.write_bytes(bytes(changed))
    with pytest.raises(GraderFault, match="sha256"):
        trusted_classifier(path, config.classifier_sha256)


def test_bad_gd_tables_are_assignment_errors():
    raw = tomllib.loads((HIDDEN_TESTS_DIR / "hw1.toml").read_text())["gd"]
    table = dict(raw)
    del table["threshold"]
    with pytest.raises(AssignmentError, match="threshold"):
        GdConfig.from_table(table)
    with pytest.raises(AssignmentError, match="probability"):
        GdConfig.from_table({**raw, "threshold": 1.5})
    with pytest.raises(AssignmentError, match="gd.checks"):
        GdConfig.from_table({**raw, "checks": {"finite": {"max_score": 1.0}}})


def test_load_assignment_refuses_a_bad_gd_table(tmp_path):
    """Checked once, when the file is read: a grade never starts on a broken table."""
    text = (HIDDEN_TESTS_DIR / "hw1.toml").read_text()
    (tmp_path / "hw1.toml").write_text(re.sub(r"^threshold = .*$", "threshold = 1.5", text,
                                              count=1, flags=re.M))
    with pytest.raises(AssignmentError, match="probability"):
        load_assignment("hw1", tmp_path)


def test_picture_is_a_png_of_every_judged_image(plan, good_image, classifier, config):
    judgements = [judge_call(t, output_for(good_image, classifier.state), classifier, config)
                  for t in plan.targets]
    artifact = render_picture(judgements)
    assert artifact.name == "gd.png" and artifact.media_type == "image/png"
    decoded = cv2.imdecode(np.frombuffer(artifact.data, np.uint8), cv2.IMREAD_COLOR)
    # a row per class: start and result (224 px, an 8 px gap), a 40 px caption below; rows
    # 8 px apart
    assert decoded.shape == (2 * (224 + 40) + 8, 2 * 224 + 8, 3)
    # the start image on the left, the returned one on the right, converted RGB -> BGR
    start_rgb = np.rint(np.clip(plan.targets[0].start[0, :, 0, 0], 0, 1) * 255)
    assert np.array_equal(decoded[0, 0], start_rgb[::-1])
    expected_rgb = np.rint(good_image[0, :, 0, 0] * 255)
    assert np.array_equal(decoded[0, 224 + 8], expected_rgb[::-1])


def test_no_picture_without_a_valid_image(plan, classifier, config):
    judgement = judge_call(plan.targets[0], output_for(None, classifier.state, described="None"),
                           classifier, config)
    assert render_picture([judgement]) is None


def _shapes_module():
    spec = importlib.util.spec_from_file_location("shapes", REPO_ROOT / "reference/classifier/shapes.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_the_shipped_classifier_recognises_fresh_shapes_and_doubts_grey_noise(config, classifier):
    shapes = _shapes_module()
    rng = np.random.default_rng(99)
    labels = rng.integers(0, len(CLASS_NAMES), 100)
    images = shapes.draw_batch(labels, rng).astype(np.float64)  # 100 x 224 x 224: 120 MB
    mean = np.array(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)
    with torch.no_grad():
        predicted = classifier.model(torch.from_numpy((images - mean) / std)).argmax(1).numpy()
        greys = [t.start for seed in range(20) for t in plan_grade(config, seed).targets]
        grey = np.concatenate(greys).astype(np.float64)
        grey_probabilities = classifier.model(torch.from_numpy((grey - mean) / std)).softmax(1)
    assert (predicted == labels).mean() >= 0.98
    # Far below the threshold, for every class: a no-op cannot pass. The median is 0.1; the
    # largest of 10,000 measured was 0.41 (the input gradients are VGG-sized: TRAINING.md).
    assert float(grey_probabilities.max()) < 0.5
    assert abs(float(grey_probabilities.median()) - 0.1) < 0.02


def test_the_grader_normalises_as_the_handout_does():
    # The probability is computed on the image normalised like normalize_and_jitter does; if
    # the handout's constants and the grader's drift apart, the check measures something else.
    import ast

    handout = ast.parse((REPO_ROOT / "reference/handout/gd.py").read_text())
    constants = {node.targets[0].id: ast.literal_eval(node.value) for node in handout.body
                 if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
                 and node.targets[0].id in ("IMAGENET_MEAN", "IMAGENET_STD")}
    assert tuple(constants["IMAGENET_MEAN"]) == IMAGENET_MEAN
    assert tuple(constants["IMAGENET_STD"]) == IMAGENET_STD


def test_reference_differs_from_the_handout_only_in_gradient_descent():
    # The reference must be a legal submission: everything the handout says not to change
    # (imports, constants, save_img, main, normalize_and_jitter...) is the same code.
    import ast

    def top_level(path):
        tree = ast.parse((REPO_ROOT / path).read_text())
        return {getattr(node, "name", None) or ast.dump(node): ast.dump(node) for node in tree.body}

    handout, reference = top_level("reference/handout/gd.py"), top_level("reference/gd.py")
    changed = {name for name in handout if handout[name] != reference.get(name)}
    added = set(reference) - set(handout)
    assert changed == {"gradient_descent"}
    assert added == {"blur"}  # the reference's own helper, defined below the line
