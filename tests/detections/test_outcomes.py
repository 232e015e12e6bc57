"""The ``outcomes`` setting (detections/outcomes.py): a rule turning off a log or a security
service alerts on the change made and on the attempt a policy refused, never on a call that
failed for another reason (no such trail, a conflict, a bad parameter: nothing changed, no
privilege was probed); other change rules alert on the change made only."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.convert import BASE_RECORD
from detections.outcomes import parse_outcomes, with_outcomes_lucene
from detections.rules import RULE_DIRS, Rule, RuleTest, load_rules, parse_rule
from detections.testing import run_case
from normalizers.cloudtrail.tables import DENIAL_ERROR_CODES

STOP_LOGGING: dict[str, Any] = {
    **BASE_RECORD,
    "eventVersion": "1.10",
    "eventSource": "cloudtrail.amazonaws.com",
    "eventName": "StopLogging",
    "sourceIPAddress": "203.0.113.124",
    "requestParameters": {"name": "management-events"},
    "readOnly": False,
    "eventID": "0e0c1b0e-7d43-4f7e-9a51-1d2e3f4a0001",
    "managementEvent": True,
}
NOT_DENIALS = (
    "InvalidTrailNameException",  # cloudtrail's model: a malformed name
    "TrailNotFoundException",  # cloudtrail's model: no such trail
    "ConflictException",  # cloudtrail's model: the trail is being changed
    "ThrottlingException",
    "Client.InvalidParameterValue",  # EC2's form, as CloudTrail records it
    "Client.DryRunOperation",  # an EC2 dry run that was allowed: nothing changed
    "InvalidClientTokenId",  # credentials that did not authenticate
    "accessdenied",  # error codes are compared as AWS writes them
)


def _record(error_code: str | None) -> dict[str, Any]:
    record = copy.deepcopy(STOP_LOGGING)
    if error_code is not None:
        record["errorCode"] = error_code
        record["errorMessage"] = "the call failed"
    return record


def _rule(outcomes: list[str] | None, query: str = "event.action:StopLogging") -> Rule:
    data: dict[str, Any] = {
        "id": "test-outcomes",
        "title": "StopLogging",
        "severity": "high",
        "index": "cloudtrail",
        "query": query,
    }
    if outcomes is not None:
        data["outcomes"] = outcomes
    return parse_rule(data)


def _matches(siem: OpenSearch, rule: Rule, error_code: str | None) -> bool:
    result = run_case(siem, rule, RuleTest(name=str(error_code), match=True, records=(_record(error_code),)))
    assert result.error is None, result.describe()
    return bool(result.matched)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ()),
        (["success", "denied"], ("success", "denied")),
        (["denied", "success"], ("success", "denied")),
        (["success"], ("success",)),
        ("denied", ("denied",)),
    ],
)
def test_outcomes_are_read_in_one_order(value: Any, expected: tuple[str, ...]) -> None:
    assert parse_outcomes(value) == expected


@pytest.mark.parametrize("value", [[], ["failure"], ["success", "errors"], 1, {"success": True}])
def test_other_outcomes_are_errors(value: Any) -> None:
    with pytest.raises(ValueError, match="outcomes"):
        parse_outcomes(value)


def test_outcomes_go_on_cloudtrail_call_rules_only() -> None:
    with pytest.raises(ValueError, match="outcomes"):
        parse_rule(
            {
                "id": "test-flows",
                "title": "flows",
                "severity": "low",
                "index": "vpcflow",
                "query": "event.action:reject",
                "outcomes": ["success", "denied"],
            }
        )


@pytest.mark.integration
def test_a_change_rule_alerts_on_success_and_on_every_denial_code(siem: OpenSearch) -> None:
    rule = _rule(["success", "denied"])
    assert _matches(siem, rule, None)
    assert {code: _matches(siem, rule, code) for code in DENIAL_ERROR_CODES} == dict.fromkeys(
        DENIAL_ERROR_CODES, True
    )


@pytest.mark.integration
def test_a_change_rule_ignores_calls_that_failed_for_another_reason(siem: OpenSearch) -> None:
    rule = _rule(["success", "denied"])
    assert {code: _matches(siem, rule, code) for code in NOT_DENIALS} == dict.fromkeys(NOT_DENIALS, False)


@pytest.mark.integration
def test_each_outcome_alone_and_none(siem: OpenSearch) -> None:
    cases = (None, "AccessDenied", "TrailNotFoundException")
    found = {
        str(outcomes): tuple(_matches(siem, _rule(outcomes), code) for code in cases)
        for outcomes in (None, ["success"], ["denied"])
    }
    assert found == {
        "None": (True, True, True),  # no setting: every outcome (rules about failed calls)
        "['success']": (True, False, False),
        "['denied']": (False, True, False),
    }


@pytest.mark.integration
def test_the_lucene_shown_runs_as_the_rule_does(siem: OpenSearch) -> None:
    """The query an alert shows (and an analyst pastes into Discover) finds what the rule finds."""
    rule = _rule(["success", "denied"])
    shown = rule.query_text()
    assert "aws.cloudtrail.error_code:(AccessDenied OR" in shown
    pasted = _rule(None, with_outcomes_lucene("event.action:StopLogging", ["success", "denied"]))
    for code in (None, *DENIAL_ERROR_CODES, *NOT_DENIALS):
        assert _matches(siem, pasted, code) is _matches(siem, rule, code), code


def test_change_rules_alert_on_success_and_evasion_rules_on_denial_too() -> None:
    """Rules that turn off a security service or a log take the denied attempt too (what a
    guardrail leaves of it); other change rules take successes only (a denied change changed
    nothing; denials are siem-access-denied-burst's); neither takes a call that failed for
    another reason."""
    rules = {rule.id: rule for rule in load_rules(RULE_DIRS, include_disabled=True)}
    for rule_id in (
        "siem-cloudtrail-stopped-or-deleted",
        "siem-config-recording-stopped",
        "siem-kms-key-disabled-or-deletion-scheduled",
        "siem-guardduty-disabled",
    ):
        assert rules[rule_id].outcomes == ("success", "denied"), rule_id
        assert "event.outcome" not in (rules[rule_id].lucene or ""), rule_id
    assert rules["siem-s3-lifecycle-short-expiration"].outcomes == ("success",)
    for rule_id in (
        "siem-iam-admin-policy-attached",
        "siem-vpc-flow-logs-deleted",
        "siem-rds-database-made-public",
    ):
        assert rules[rule_id].outcomes == (), rule_id
        assert "NOT event.outcome:failure" in (rules[rule_id].lucene or ""), rule_id
    # rules whose intent is failed calls keep reading every outcome
    assert rules["siem-access-denied-burst"].outcomes == ()
    # ...and count the same denials
    burst = set(re.findall(r"[\w.]+", rules["siem-access-denied-burst"].lucene or ""))
    assert set(DENIAL_ERROR_CODES) <= burst
