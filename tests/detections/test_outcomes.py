"""The ``outcomes`` setting (detections/outcomes.py): a rule turning off a log or a security
service alerts on the change made and on the attempt a policy refused, never on a call that
failed for another reason (no such trail, a conflict, a bad parameter: nothing changed, no
privilege was probed); other change rules alert on the change made only."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from opensearchpy import OpenSearch

from detections.convert import BASE_RECORD
from detections.outcomes import parse_outcomes, with_outcomes_lucene
from detections.rules import RULE_DIRS, RULES_DIR, Rule, RuleTest, load_rules, parse_rule
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
    for rule_id in (
        "siem-s3-lifecycle-short-expiration",
        "siem-iam-admin-policy-attached",
        "siem-vpc-flow-logs-deleted",
        "siem-rds-database-made-public",
    ):
        assert rules[rule_id].outcomes == ("success",), rule_id
        assert "event.outcome" not in (rules[rule_id].lucene or ""), rule_id
    # rules whose intent is failed calls keep reading every outcome
    assert rules["siem-access-denied-burst"].outcomes == ()
    # ...and count the same denials
    burst = set(re.findall(r"[\w.]+", rules["siem-access-denied-burst"].lucene or ""))
    assert set(DENIAL_ERROR_CODES) <= burst


# One way to say "alert on success only": `outcomes: [success]`. A rule's own top-level
# NOT event.outcome:failure selects the same documents (Lucene applies a top-level NOT to the
# whole query, OR or not), so it is refused: two spellings of one requirement drift apart.

SUCCESS_IN_ONE_BRANCH = {
    "siem-cloudtrail-lake-logging-reduced": "DeleteEventDataStore and StopEventDataStoreIngestion"
    " alert on any outcome; only the UpdateEventDataStore branch requires success",
    "siem-organizations-leave": "LeaveOrganization alerts on any outcome (the attempt is the"
    " signal); only the RemoveAccountFromOrganization branch requires success",
}
"""Rules that require success in one branch of their query only: ``outcomes`` would require
it of every branch, so they keep their own clause there."""
_FAILURE = re.compile(r'event\.outcome:\(?\s*"?failure"?\s*\)?')
_CLOSING = {'"': '"', "/": "/", "(": ")"}


def _groups(query: str) -> list[Any]:
    """A Lucene query as nested lists: a parenthesized group is a list of its items (a group
    of one item is that item); a term keeps its quoted value, escapes, regular expression or
    ``field:(...)`` group whole."""
    stack: list[list[Any]] = [[]]
    term, at = "", 0
    while at < len(query):
        char = query[at]
        closing = _CLOSING.get(char) if char == '"' or term.endswith(":") else None
        if char == "\\":
            term, at = term + query[at : at + 2], at + 2
        elif closing is not None:
            end, depth = at + 1, 1
            while depth:
                if query[end] == "\\":
                    end += 1
                elif closing == ")" and query[end] == "(":
                    depth += 1
                elif query[end] == closing:
                    depth -= 1
                end += 1
            term, at = term + query[at:end], end
        else:
            if char.isspace() or char in "()":
                if term:
                    stack[-1].append(term)
                term = ""
                if char == "(":
                    stack.append([])
                elif char == ")":
                    group = stack.pop()
                    stack[-1].append(group[0] if len(group) == 1 else group)
            else:
                term += char
            at += 1
    if term:
        stack[-1].append(term)
    assert len(stack) == 1, f"unbalanced parentheses: {query}"
    return stack[0]


def _excludes_failures(items: list[Any]) -> bool:
    """Whether one level of a query excludes failed calls itself (``NOT``, ``-`` or ``!``
    before ``event.outcome:failure``)."""
    for at, item in enumerate(items):
        if not isinstance(item, str):
            continue
        if _FAILURE.fullmatch(item) and at and items[at - 1] == "NOT":
            return True
        if item[:1] in ("-", "!") and _FAILURE.fullmatch(item[1:]):
            return True
    return False


def _required_levels(items: list[Any]) -> Iterator[list[Any]]:
    """The query and every group it requires: a group joined by AND alone on a level without OR."""
    yield items
    if "OR" in items:
        return
    for at, item in enumerate(items):
        joined = (at == 0 or items[at - 1] == "AND") and (at + 1 == len(items) or items[at + 1] == "AND")
        if isinstance(item, list) and joined:
            yield from _required_levels(item)


def _levels(items: list[Any]) -> Iterator[list[Any]]:
    yield items
    for item in items:
        if isinstance(item, list):
            yield from _levels(item)


def lucene_success(query: str) -> tuple[bool, bool]:
    """(required of the whole query, anywhere): where ``query`` spells "not a failure"."""
    tree = _groups(query)
    return any(map(_excludes_failures, _required_levels(tree))), any(map(_excludes_failures, _levels(tree)))


def _clauses(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def dsl_success(clause: Any) -> tuple[bool, bool]:
    """:func:`lucene_success` of a DSL query: its query strings, and ``must_not`` terms on
    ``event.outcome: failure``; required: the query itself and its bools' filter and must."""
    if not isinstance(clause, dict):
        return False, False
    if "query_string" in clause:
        return lucene_success(clause["query_string"]["query"])
    found = [
        dsl_success(inner)
        for key in ("filter", "must")
        for inner in _clauses(clause.get("bool", {}).get(key))
    ]
    own = any(
        _FAILURE.fullmatch(f"{field}:{value.get('value') if isinstance(value, dict) else value}")
        for inner in _clauses(clause.get("bool", {}).get("must_not"))
        for kind in ("term", "match")
        for field, value in (inner.get(kind) or {}).items()
    )
    nested = [
        dsl_success(inner)
        for key in ("should", "must_not")
        for inner in _clauses(clause.get("bool", {}).get(key))
    ]
    return own or any(top for top, _ in found), own or any(anywhere for _, anywhere in (*found, *nested))


def _own_success(rule: Rule) -> tuple[bool, bool]:
    return dsl_success(rule.dsl) if rule.dsl is not None else lucene_success(rule.lucene or "")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("a:b AND NOT event.outcome:failure", (True, True)),
        ("NOT event.outcome:failure AND (a:b OR c:d)", (True, True)),
        ("a:b OR NOT event.outcome:failure", (True, True)),  # Lucene: NOT a OR b is NOT a, b optional
        ("a:b AND (c:d AND NOT event.outcome:failure)", (True, True)),
        ("a:b AND NOT (event.outcome:failure)", (True, True)),
        ('a:b AND -event.outcome:"failure"', (True, True)),
        ("a:b AND !event.outcome:(failure)", (True, True)),
        ("a:b AND (c:d OR (e:f AND NOT event.outcome:failure))", (False, True)),
        ("(a:b AND NOT event.outcome:failure) OR c:d", (False, True)),
        ("a:b AND NOT event.outcome:success", (False, False)),
        ("a:b AND event.outcome:failure", (False, False)),
        ('a:"x NOT event.outcome:failure" AND b:\\(NOT', (False, False)),
    ],
)
def test_a_query_is_read_for_its_own_success_requirement(query: str, expected: tuple[bool, bool]) -> None:
    assert lucene_success(query) == expected
    assert dsl_success({"bool": {"filter": [{"query_string": {"query": query}}]}}) == expected


def test_a_dsl_query_is_read_for_its_own_success_requirement() -> None:
    failure = {"term": {"event.outcome": "failure"}}
    assert dsl_success({"bool": {"filter": [{"match_all": {}}], "must_not": [failure]}}) == (True, True)
    assert dsl_success({"bool": {"filter": [{"bool": {"must_not": [failure]}}]}}) == (True, True)
    assert dsl_success({"bool": {"should": [{"bool": {"must_not": [failure]}}]}}) == (False, True)


def test_rules_say_success_only_with_outcomes_not_in_their_query() -> None:
    """Every rule of ours that could take ``outcomes`` (a CloudTrail event, threshold or
    new-terms rule) says "success only" with it; ``NOT event.outcome:failure`` stays only in
    the listed rules, in one branch of their query."""
    rules = [
        rule
        for rule in load_rules([RULES_DIR], include_disabled=True)
        if rule.type in ("event", "threshold", "new_terms") and rule.index == "cloudtrail"
    ]
    own = {rule.id: _own_success(rule) for rule in rules}
    spelled = sorted(rule_id for rule_id, (top, _) in own.items() if top)
    assert spelled == [], "say outcomes: [success] instead of NOT event.outcome:failure in the query"
    in_one_branch = {rule_id for rule_id, (top, anywhere) in own.items() if anywhere and not top}
    assert in_one_branch == set(SUCCESS_IN_ONE_BRANCH)
