"""Every rule's inline tests pass on the engine (real normalizers, templates and queries)."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from detections.rules import RULE_DIRS, Rule, load_rules
from detections.testing import SILENCE_SKIPPED, run_case, run_tests

pytestmark = pytest.mark.integration
RULES = load_rules(RULE_DIRS, include_disabled=True)


def test_rules_load_and_ids_are_unique() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert {rule.index for rule in RULES} == {"cloudtrail", "vpcflow", "guardduty", "securityhub"}


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.type != "silence"], ids=lambda rule: rule.id)
def test_inline_tests(siem: OpenSearch, rule: Rule) -> None:
    assert any(case.match for case in rule.tests), "a rule needs a case that matches"
    assert any(not case.match for case in rule.tests), "a rule needs a case that does not match"
    failures = [
        result.describe()
        for result in (run_case(siem, rule, case) for case in rule.tests)
        if not result.passed
    ]
    assert not failures


def test_silence_rules_are_skipped_with_the_reason() -> None:
    # Their judgment takes days of runs (tests/detections/test_silence.py): no inline case.
    silent = [rule for rule in RULES if rule.type == "silence"]
    results = list(run_tests(None, silent))  # type: ignore[arg-type]  # no case reaches the engine
    assert [result.rule_id for result in results] == [rule.id for rule in silent] and silent
    assert all(result.passed and result.skipped == SILENCE_SKIPPED for result in results)
