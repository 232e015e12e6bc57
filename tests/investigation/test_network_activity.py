"""A call made through a VPC endpoint is logged twice when the endpoint's owner logs network
activity events: its own event and the endpoint's copy (``eventType: AwsVpceEvent``,
``eventCategory: NetworkActivity``). The investigation counts and lists each call once, the
copies only when asked (``--network-activity-copies``); the calls an endpoint's policy denied
(``VpceAccessDenied``, the attempt's only record) are always in."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from demo.records import cloudtrail as ct
from investigation import Report
from tests.investigation import scenarios
from tests.investigation.conftest import Siem
from tests.investigation.scenarios import Scenario
from tests.investigation.test_scenarios import actions, chain, run

pytestmark = pytest.mark.integration
DENIED_ID = "denied0-0000-4000-8000-00000000vpce"


def _calls(scenario: Scenario) -> list[dict[str, Any]]:
    return [record for record in scenario.cloudtrail if record.get("eventType") == "AwsApiCall"]


def through_endpoints(scenario: Scenario) -> Scenario:
    """``scenario`` with every API call made through a VPC endpoint: a copy of each, and one
    more call of the last caller that the endpoint's policy denied."""
    calls = _calls(scenario)
    denied = {
        **ct.network_activity_copy(calls[-1], DENIED_ID),
        "errorCode": "VpceAccessDenied",
        "errorMessage": "The request was denied due to a VPC endpoint policy",
        "responseElements": None,
    }
    copies = [ct.network_activity_copy(call) for call in calls]
    return dataclasses.replace(scenario, cloudtrail=[*scenario.cloudtrail, *copies, denied])


def copy_ids(scenario: Scenario) -> set[str]:
    return {
        record["eventID"]
        for record in scenario.cloudtrail
        if record.get("eventType") == "AwsVpceEvent" and record["eventID"] != DENIED_ID
    }


def _entries(report: Report) -> list[str]:
    return [str(entry.event_id) for entry in report.timeline.entries]


def _counts(report: Report) -> dict[str, tuple[int, int]]:
    return {f"{a['provider']} {a['action']}": (a["count"], a["errors"]) for a in actions(report)}


def _expected(scenario: Scenario, copies: int) -> dict[str, tuple[int, int]]:
    """The scenario's actions, each call ``copies`` + 1 times, and the denied ListRoles."""
    counts = {f"{a['provider']} {a['action']}": (a["count"], a["errors"]) for a in scenario.actions}
    counts = {name: (count * (copies + 1), errors * (copies + 1)) for name, (count, errors) in counts.items()}
    count, errors = counts["iam.amazonaws.com ListRoles"]
    return {**counts, "iam.amazonaws.com ListRoles": (count + 1, errors + 1)}


def test_each_call_counts_once_and_the_denied_attempt_stays(siem: Siem) -> None:
    plain = scenarios.cross_account_chain()
    scenario = through_endpoints(plain)
    report = run(siem, scenario)

    assert chain(report) == plain.chain
    assert [link.issued_by.action if link.issued_by else None for link in report.who.chain] == [
        "AssumeRole",
        "AssumeRole",
        None,
    ]
    assert _counts(report) == _expected(plain, copies=0)
    # The plain scenario's (4, 6, 1), and the denied read.
    assert (report.what.writes, report.what.reads, report.what.errors) == (4, 7, 2)
    entries = _entries(report)
    assert not set(entries) & copy_ids(scenario), "a copy on the timeline"
    assert DENIED_ID in entries, "the endpoint's denial is the attempt's only record"
    assert report.timeline.scope is not None
    assert "NetworkActivity" in report.timeline.scope.lucene()


def test_the_copies_are_in_when_asked(siem: Siem) -> None:
    plain = scenarios.cross_account_chain()
    scenario = through_endpoints(plain)
    report = run(siem, scenario, network_activity_copies=True)

    assert chain(report) == plain.chain
    assert _counts(report) == _expected(plain, copies=1)
    entries = _entries(report)
    assert set(entries) & copy_ids(scenario), "no copy on the timeline"
    assert DENIED_ID in entries
    assert report.timeline.scope is not None
    assert "NetworkActivity" not in report.timeline.scope.lucene()
