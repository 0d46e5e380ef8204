"""Ways students write gradient_descent, judged by the grader's checks on the shipped classifier
(issue 9, point 10): plain ascent with step sizes from 0.01 to 1, normalised and signed steps,
Adam and the reference pass gd.target_probability; descent, a no-op and normalising once before
the loop fail it. No clamp and returning normalize_and_jitter(image) cost gd.shape_and_range
only.

In-process, no sandbox: the harness's own run_label, then judge_call (gd_strategies.py). Each
strategy runs on two classes here, chosen so that all ten classes are covered by every kind of
strategy across the file (about 40 calls, ~30 s); the README's table runs every class.
"""

from __future__ import annotations

import pytest

from gd_strategies import STRATEGIES, config, run_call

pytestmark = pytest.mark.slow

# The hardest classes in the README's table (green square, red disc) are in every other pair.
_PAIRS = [(1, 6), (0, 7), (2, 8), (3, 9), (4, 5)]


@pytest.fixture(scope="module")
def settings():
    return config()


@pytest.mark.parametrize("index", range(len(STRATEGIES)), ids=[s.name for s in STRATEGIES])
def test_the_verdict_is_the_one_the_strategy_deserves(index, settings):
    strategy = STRATEGIES[index]
    for label in _PAIRS[index % len(_PAIRS)]:
        judgement = run_call(strategy, label, settings)
        verdict = judgement.verdicts["target_probability"]
        assert (verdict.status == "passed") == strategy.reaches_target, (strategy.name, label, verdict.message)


def test_no_clamp_costs_the_range_only(settings):
    strategy = next(s for s in STRATEGIES if s.name.endswith("no clamp"))
    judgement = run_call(strategy, 1, settings)
    assert judgement.verdicts["target_probability"].status == "passed"
    if judgement.verdicts["shape_and_range"].status == "failed":  # the image did leave [0, 1]
        assert "clamped to [0, 1]" in judgement.verdicts["target_probability"].message


def test_returning_normalize_and_jitter_costs_the_range_only_and_is_named(settings):
    strategy = next(s for s in STRATEGIES if s.name == "returns normalize_and_jitter(image)")
    judgement = run_call(strategy, 4, settings)
    assert judgement.verdicts["target_probability"].status == "passed"
    assert judgement.verdicts["shape_and_range"].status == "failed"
    assert "normalize_and_jitter's output" in judgement.verdicts["shape_and_range"].message


def test_normalising_once_is_named(settings):
    strategy = next(s for s in STRATEGIES if s.name.startswith("normalised once, Adam(lr=0.01)"))
    verdict = run_call(strategy, 3, settings).verdicts["target_probability"]
    assert "returned the tensor it fed to the model" in verdict.message
