"""Shared conditions (detections/conditions.yml): a rule names one and the loader joins its
query to the rule's and adds its ``where`` items; a new-terms rule takes ``where`` items that
compare two fields (judged on the aggregated buckets)."""

from __future__ import annotations

from typing import Any

import pytest

from detections.rules import Comparison, parse_rule, shared_conditions
from tests.detections.conftest import our_rule

OURS = Comparison("aws.cloudtrail.vpc_endpoint_account_id", "!=", "aws.cloudtrail.user_identity.account_id")
BASE: dict[str, Any] = {
    "id": "x-rule",
    "title": "t",
    "severity": "high",
    "index": "cloudtrail",
    "query": "event.action:X",
}
OURS_ITEM = {"field": OURS.left, "op": OURS.op, "other": OURS.right}
NEW_TERMS = {**BASE, "type": "new_terms", "group_by": ["principal"], "new_terms": ["event.provider"]}


def _condition_text() -> str:
    return " ".join(shared_conditions()["outside-our-network"]["query"].split())


def test_a_lucene_rule_takes_the_condition_with_and_and_its_comparison() -> None:
    rule = parse_rule({**BASE, "conditions": ["outside-our-network"]})
    assert rule.lucene == f"(event.action:X) AND ({_condition_text()})"
    assert rule.where == (OURS,)


def test_a_dsl_rule_takes_the_condition_as_one_more_filter() -> None:
    dsl = {"term": {"event.action": "X"}}
    rule = parse_rule({**NEW_TERMS, "query": {"dsl": dsl}, "conditions": ["outside-our-network"]})
    assert rule.dsl == {
        "bool": {"filter": [dsl, {"query_string": {"query": _condition_text(), "analyze_wildcard": True}}]}
    }
    assert rule.where == (OURS,)


def test_the_rules_asking_whose_endpoint_read_one_definition() -> None:
    instance = our_rule("siem-ec2-instance-credentials-used-outside")
    bedrock = our_rule("siem-bedrock-model-invoked-outside-compute")
    assert instance.where == bedrock.where == (OURS,)
    assert instance.lucene is not None and instance.lucene.endswith(f"AND ({_condition_text()})")
    assert bedrock.dsl is not None
    assert {"query_string": {"query": _condition_text(), "analyze_wildcard": True}} in bedrock.dsl["bool"][
        "filter"
    ]


def test_conditions_and_new_terms_comparisons_are_validated() -> None:
    for rule, change, message in (
        (BASE, {"conditions": ["no-such-condition"]}, r"\['no-such-condition'\] are not in conditions.yml"),
        (
            {**BASE, "type": "threshold", "threshold": 3, "group_by": ["user.name"], "window": "10m"},
            {"conditions": ["outside-our-network"]},
            r"\['where'\] only apply to",
        ),
        (
            NEW_TERMS,
            {"where": [{"field": "a.b", "op": "outside_account", "other": "cloud.account.id"}]},
            "compare two fields",
        ),
        (NEW_TERMS, {"where": [{"any": [OURS_ITEM, OURS_ITEM]}]}, "compare two fields"),
        (NEW_TERMS, {"where": [{"field": "no.such.field", "op": "!=", "other": "user.name"}]}, "where field"),
        (
            NEW_TERMS,
            {
                "where": [
                    {"field": "aws.cloudtrail.request_parameters.roleArn", "op": "!=", "other": "user.name"}
                ]
            },
            "where field",
        ),
    ):
        with pytest.raises(ValueError, match=message):
            parse_rule({**rule, **change})


def test_a_new_terms_rule_takes_two_field_comparisons() -> None:
    rule = parse_rule({**NEW_TERMS, "where": [OURS_ITEM]})
    assert rule.where == (OURS,)
