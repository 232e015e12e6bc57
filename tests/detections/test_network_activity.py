"""A call made through a VPC endpoint is logged twice: its management (or data) event and the
endpoint owner's network activity event (``eventType: AwsVpceEvent``, ``eventCategory:
NetworkActivity``). Rules about a call's effect alert once per call, on the call's own event;
the network activity events a VPC endpoint's policy denied (``VpceAccessDenied``, the only record
of an attempt that never reached the service) stay visible (``siem-access-denied-burst``)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from detections import monitors
from detections.checkpoints import MemoryCheckpoints
from detections.rules import RULE_DIRS, Rule, RuleTest, load_rules, parse_rule
from detections.runner import RunSettings, run
from detections.testing import run_case
from tests.detections.conftest import T0, index_raw, minutes, trail

pytestmark = pytest.mark.integration
# A rule about the endpoints themselves (``network_activity_copies: true``) reads the copies on
# purpose: the copy of a call by another account's credentials is what it looks for.
RULES = [
    rule
    for rule in load_rules(RULE_DIRS)
    if "cloudtrail" in rule.sources and not rule.network_activity_copies
]


def network_activity_copy(record: dict[str, Any], number: int) -> dict[str, Any]:
    """The endpoint owner's record of ``record``'s call, every field of the call kept (the worst
    case for a rule), as a network activity event with its own id."""
    return ct.network_activity_copy(record, f"{number:08x}-0000-4000-8000-00000000c0de")


def _copied(records: tuple[Any, ...]) -> tuple[Any, ...]:
    """``records`` and, after them, a network activity copy of each API call among them (a
    console sign-in or a service event goes through no endpoint; a denial by the endpoint is no
    copy of anything)."""
    calls = [
        record
        for record in records
        if isinstance(record, dict)
        and record.get("eventType") == "AwsApiCall"
        and record.get("errorCode") != "VpceAccessDenied"
    ]
    return (*records, *(network_activity_copy(call, number) for number, call in enumerate(calls)))


def _with_copies(rule: Rule, case: RuleTest) -> RuleTest | None:
    records = _copied(case.records) if rule.index == "cloudtrail" else case.records
    others = tuple(
        (source, _copied(group) if source == "cloudtrail" else group) for source, group in case.other_records
    )
    if records == case.records and others == case.other_records:
        return None
    return dataclasses.replace(case, records=records, other_records=others)


CASES = [
    (rule, case, copied)
    for rule in RULES
    for case in rule.tests
    if (copied := _with_copies(rule, case)) is not None
]


def test_most_rules_reading_cloudtrail_have_calls_to_copy() -> None:
    assert len({rule.id for rule, _, _ in CASES}) >= 40


@pytest.mark.parametrize(
    ("rule", "case", "copied"), CASES, ids=[f"{rule.id}[{case.name}]" for rule, case, _ in CASES]
)
def test_a_network_activity_copy_of_a_call_changes_no_rule_s_alerts(
    siem: OpenSearch, rule: Rule, case: RuleTest, copied: RuleTest
) -> None:
    alone = run_case(siem, rule, case)
    assert alone.error is None and alone.passed, alone.describe()
    with_copies = run_case(siem, rule, copied)
    assert with_copies.error is None, with_copies.describe()
    assert (with_copies.matched, with_copies.alerts) == (alone.matched, alone.alerts)


STOPPED = next(rule for rule in RULES if rule.id == "siem-cloudtrail-stopped-or-deleted")


def test_an_allowed_stop_logging_through_an_endpoint_alerts_once_on_the_call(siem: OpenSearch) -> None:
    (call,) = next(case for case in STOPPED.tests if case.name == "a trail stopped").records
    copy = network_activity_copy(call, 1)
    both = RuleTest("the call and its endpoint's record", True, records=(call, copy), alerts=1)
    assert run_case(siem, STOPPED, both).passed
    alone = RuleTest("the endpoint's record alone", False, records=(copy,))
    assert run_case(siem, STOPPED, alone).passed


def test_a_rule_may_read_the_copies_when_it_asks_for_them(siem: OpenSearch) -> None:
    (call,) = next(case for case in STOPPED.tests if case.name == "a trail stopped").records
    endpoint_rule = parse_rule(
        {
            "id": "t-endpoint-use",
            "title": "t",
            "severity": "low",
            "index": "cloudtrail",
            "query": "aws.cloudtrail.event_category:NetworkActivity AND event.action:StopLogging",
            "network_activity_copies": True,
        }
    )
    copy = RuleTest("the endpoint's record", True, records=(network_activity_copy(call, 1),), alerts=1)
    assert run_case(siem, endpoint_rule, copy).passed
    blind = dataclasses.replace(endpoint_rule, network_activity_copies=False)
    assert not run_case(siem, blind, copy).matched


def test_the_copies_key_is_a_boolean_of_rules_that_read_cloudtrail() -> None:
    base = {"id": "t-rule", "title": "t", "severity": "low", "query": "*"}
    with pytest.raises(ValueError, match="network_activity_copies must be true or false"):
        parse_rule({**base, "index": "cloudtrail", "network_activity_copies": "yes"})
    with pytest.raises(ValueError, match="network_activity_copies: the rule reads no CloudTrail"):
        parse_rule({**base, "index": "guardduty", "network_activity_copies": True})


def _hits(client: OpenSearch, lucene: str) -> int:
    query = {"query_string": {"query": lucene, "analyze_wildcard": True}}
    body = {"size": 0, "track_total_hits": True, "query": query}
    return int(client.search(index="siem-cloudtrail", body=body)["hits"]["total"]["value"])


def test_the_alert_shows_the_query_that_ran_so_discover_counts_the_same(siem: OpenSearch) -> None:
    (call,) = next(case for case in STOPPED.tests if case.name == "a trail stopped").records
    index_raw(siem, "cloudtrail", trail([call, network_activity_copy(call, 1)]), ingested=T0)
    settings = RunSettings(first_lookback=minutes(30))
    report = run(siem, siem, [STOPPED], T0 + minutes(5), MemoryCheckpoints(), None, settings)
    (alert,) = report.alerts
    shown = alert["alert"]["query"]
    assert STOPPED.lucene is not None and shown != STOPPED.lucene
    # Pasted into Discover's query bar (query_string), the alert's query finds what the rule
    # matched, the call alone; the rule's own text finds the endpoint's copy too.
    assert _hits(siem, shown) == alert["alert"]["count"] == 1
    assert _hits(siem, STOPPED.lucene) == 2


def test_a_rule_shows_the_clause_it_runs() -> None:
    dsl = [rule for rule in RULES if rule.dsl is not None and not rule.steps]
    assert dsl
    for rule in dsl:
        assert json.loads(rule.query_text()) == rule.query_clause(), rule.id
    # An exported Alerting monitor runs the same clause.
    filters = monitors.monitor(STOPPED)["inputs"][0]["search"]["query"]["query"]["bool"]["filter"]
    assert filters[0] == STOPPED.query_clause() and "NetworkActivity" in json.dumps(filters[0])
    sequences = [rule for rule in RULES if rule.steps]
    for rule in sequences:
        assert "NetworkActivity" in json.dumps(json.loads(rule.query_text())["query"]), rule.id
    endpoint_rule = parse_rule(
        {
            "id": "t-endpoint-use",
            "title": "t",
            "severity": "low",
            "index": "cloudtrail",
            "query": "aws.cloudtrail.event_category:NetworkActivity",
            "network_activity_copies": True,
        }
    )
    assert endpoint_rule.query_text() == "aws.cloudtrail.event_category:NetworkActivity"
