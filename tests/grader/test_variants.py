"""Each single-bug variant of the reference fails exactly its item (plus what it must drag
down) and passes every other, with feedback that names the mistake."""

import pytest

from grader_helpers import mlp_tests
from variants import VARIANTS, apply

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_single_bug_fails_its_item_only(variant, reference_source, grade_mlp_source):
    report = grade_mlp_source(apply(reference_source, variant.edits))
    tests = mlp_tests(report)
    not_passed = {item for item, test in tests.items() if test.status != "passed"}
    assert not_passed == variant.fails, {i: tests[i].output for i in not_passed ^ variant.fails}
    for item in variant.fails:
        assert tests[item].score < tests[item].max_score
    for item, phrase in variant.feedback.items():
        assert phrase in tests[item].output, tests[item].output
    assert report.status == "graded" and report.integrity == []


def test_every_item_has_at_least_two_variants():
    from grader.mlp.items import ITEMS

    for variant in VARIANTS:
        assert variant.item in variant.fails
    counts = {item: sum(v.item == item for v in VARIANTS) for item in ITEMS}
    assert min(counts.values()) >= 2, counts
