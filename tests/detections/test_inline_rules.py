"""Every rule's inline tests pass on the engine (real normalizers, templates and queries)."""

from __future__ import annotations

import pytest
from opensearchpy import OpenSearch

from detections.rules import RULE_DIRS, Rule, load_rules
from detections.testing import run_case

pytestmark = pytest.mark.integration
RULES = load_rules(RULE_DIRS, include_disabled=True)


def test_rules_load_and_ids_are_unique() -> None:
    assert len({rule.id for rule in RULES}) == len(RULES)
    assert {rule.index for rule in RULES} == {"cloudtrail", "vpcflow", "guardduty", "securityhub"}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_inline_tests(siem: OpenSearch, rule: Rule) -> None:
    assert any(case.match for case in rule.tests), "a rule needs a case that matches"
    assert any(not case.match for case in rule.tests), "a rule needs a case that does not match"
    failures = [
        result.describe()
        for result in (run_case(siem, rule, case) for case in rule.tests)
        if not result.passed
    ]
    assert not failures
