"""Ground-truth investigations: raw records -> real normalizers -> embedded engine -> report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import unquote

import orjson
import prison
import pytest

from investigation import MAX_QUERIES, FindingNotFound, Report, investigate, render
from investigation import queries as q
from tests.investigation import scenarios
from tests.investigation.conftest import Siem
from tests.investigation.scenarios import Scenario, t

pytestmark = pytest.mark.integration
DASHBOARDS = "https://collection.example/_dashboards"


def run(siem: Siem, scenario: Scenario, **options: Any) -> Report:
    siem.cloudtrail(scenario.cloudtrail)
    if scenario.guardduty:
        siem.guardduty(scenario.guardduty)
    if scenario.securityhub:
        siem.securityhub(scenario.securityhub)
    siem.recorder.requests.clear()
    report = investigate(siem.client, scenario.finding_id, **options)
    assert_few_bounded_searches(siem, report)
    return report


def assert_few_bounded_searches(siem: Siem, report: Report) -> None:
    searches = siem.recorder.searches()
    assert searches and len(searches) == report.queries <= MAX_QUERIES
    assert len(siem.recorder.requests) == len(searches), "the investigation only searches"
    for search in searches:
        body = search.body if isinstance(search.body, dict) else orjson.loads(search.body)
        assert 0 <= body["size"] <= 4 * q.MAX_KEYS
        for size in _terms_agg_sizes(body.get("aggs", {})):
            assert 0 < size <= q.ACTIONS


def _terms_agg_sizes(aggs: dict[str, Any]) -> list[int]:
    sizes = []
    for agg in aggs.values():
        for kind in ("terms", "top_hits"):
            if kind in agg:
                sizes.append(agg[kind]["size"])
        sizes += _terms_agg_sizes(agg.get("aggs", {}))
    return sizes


def chain(report: Report) -> list[dict[str, Any]]:
    keys = ("arn", "type", "account_id", "access_key_id")
    return [{key: link[key] for key in keys} for link in report.to_dict()["who"]["chain"]]


def actions(report: Report) -> list[dict[str, Any]]:
    return report.to_dict()["what"]["actions"]


def related(report: Report) -> set[str]:
    return {finding.id for finding in report.related_findings}


def test_stolen_instance_profile_key_leads_to_ec2_and_the_outside_address(siem: Siem) -> None:
    scenario = scenarios.stolen_instance_key()
    report = run(siem, scenario)

    assert report.who.mode == "credential"
    assert chain(report) == scenario.chain
    assert report.who.complete and report.who.chain[-1].name == "ec2.amazonaws.com"
    assert report.who.chain[0].issued_by is not None and report.who.chain[0].issued_by.action == "AssumeRole"
    assert actions(report) == scenario.actions
    assert (report.what.events, report.what.writes, report.what.reads) == (11, 1, 10)
    assert (report.what.errors, report.what.denials) == (2, 2)
    assert {c.value: c.count for c in report.where.ips} == {"198.51.100.23": 8, "10.0.1.15": 3}
    assert {c.value for c in report.where.user_agents} == {"python-requests/2.31", scenarios.CLI}
    assert (report.when.first_seen, report.when.last_seen) == (
        t(5).replace("Z", ".000Z"),
        t(36).replace("Z", ".000Z"),
    )
    assert sum(count for _, count in report.when.histogram) == 11
    assert related(report) == scenario.related
    assert "aws.s3.bucket.name=customer-exports" in report.what.resources
    assert "aws.s3.object.key=export-2.csv" in report.what.resources


def test_cross_account_chain_walks_two_roles_back_to_the_iam_user(siem: Siem) -> None:
    scenario = scenarios.cross_account_chain()
    report = run(siem, scenario, dashboards_url=DASHBOARDS)

    assert chain(report) == scenario.chain
    assert report.who.complete and report.who.stopped is None
    issued = [link.issued_by.action if link.issued_by else None for link in report.who.chain]
    assert issued == ["AssumeRole", "AssumeRole", None]
    assert actions(report) == scenario.actions
    assert (report.what.writes, report.what.reads, report.what.errors) == (4, 6, 1)
    assert related(report) == scenario.related
    # What each change touched comes from its target fields (docs/schema.md, "Targets").
    touched = {change.action: change.resources for change in report.what.changes}
    assert "user.target.name=backup-svc" in touched["CreateUser"]
    assert "groupId=sg-0prod000000000001" in touched["AuthorizeSecurityGroupIngress"]

    assert (
        report.dashboards_url and "/app/dashboards#/view/siem-finding-investigation?" in report.dashboards_url
    )
    state = dict(part.split("=", 1) for part in report.dashboards_url.split("?", 1)[1].split("&"))
    window = prison.loads(unquote(state["_g"]))["time"]
    assert (window["from"], window["to"]) == (report.when.window_start, report.when.window_end)
    query = prison.loads(unquote(state["_a"]))["query"]["query"]
    for link in scenario.chain:
        assert f'"{link["access_key_id"]}"' in query


def test_guardduty_finding_with_only_an_ip_finds_who_used_that_address(siem: Siem) -> None:
    scenario = scenarios.ip_only()
    report = run(siem, scenario)

    assert report.who.mode == "ip"
    assert chain(report) == scenario.chain
    assert actions(report) == scenario.actions
    assert {c.value: c.count for c in report.where.ips} == {"203.0.113.50": 5}
    assert [identity.key for identity in report.who.identities] == ["AIDACAROL00000000001"]
    assert report.finding.keys.ips == ("203.0.113.50",), "the instance's private address is not a pivot"


def test_control_finding_on_a_resource_names_who_changed_it(siem: Siem) -> None:
    scenario = scenarios.control_on_resource()
    report = run(siem, scenario)

    assert report.who.mode == "resource"
    assert chain(report) == scenario.chain
    assert actions(report) == scenario.actions
    assert [(change.action, change.actor) for change in report.what.changes] == [
        ("AuthorizeSecurityGroupIngress", scenario.chain[0]["arn"])
    ]
    assert {identity.link.label: identity.events for identity in report.who.identities} == {
        scenario.chain[0]["arn"]: 2,
        "arn:aws:iam::111111111111:user/bob": 1,
    }
    netadmin = next(i for i in report.who.identities if i.link.label == scenario.chain[0]["arn"])
    assert netadmin.origin == scenario.chain[1]["arn"]
    assert related(report) == scenario.related


def test_actor_without_cloudtrail_in_the_window_is_reported_plainly(siem: Siem) -> None:
    scenario = scenarios.quiet_actor()
    report = run(siem, scenario)

    assert chain(report) == scenario.chain
    assert actions(report) == scenario.actions == []
    assert report.what.events == 0 and report.when.first_seen is None
    sentence = (
        "No CloudTrail events of this actor between 2026-03-02T07:00:00.000Z and 2026-03-02T11:05:00.000Z."
    )
    assert sentence in render(report, "text")
    assert report.to_dict()["what"]["summary"] == sentence


def test_a_wider_window_reaches_the_actor_activity(siem: Siem) -> None:
    scenario = scenarios.quiet_actor()
    report = run(siem, scenario, window=timedelta(hours=6))

    assert actions(report) == [
        {"provider": "s3.amazonaws.com", "action": "GetObject", "count": 1, "errors": 0},
        {"provider": "s3.amazonaws.com", "action": "ListBuckets", "count": 1, "errors": 0},
    ]


def test_unknown_finding_id_raises(siem: Siem) -> None:
    siem.guardduty(scenarios.quiet_actor().guardduty)
    with pytest.raises(FindingNotFound):
        investigate(siem.client, "no-such-finding")


def test_every_format_tells_the_same_chain(siem: Siem) -> None:
    scenario = scenarios.cross_account_chain()
    report = run(siem, scenario)
    as_json = orjson.loads(render(report, "json"))
    assert list(as_json) == [
        "finding",
        "who",
        "when",
        "what",
        "where",
        "timeline",
        "network",
        "pivots",
        "containment",
        "related_findings",
        "dashboards_url",
    ]
    assert {"first_seen", "last_seen", "histogram"} <= set(as_json["when"])
    assert {"ips", "user_agents"} <= set(as_json["where"])
    for form in ("text", "markdown", "html"):
        output = render(report, form)  # type: ignore[arg-type]
        for link in scenario.chain:
            assert link["arn"] in output, form
    assert render(report, "html").startswith("<!DOCTYPE html>")


def test_a_missing_copy_of_a_cross_account_call_stops_the_chain_at_the_account(siem: Siem) -> None:
    scenario = scenarios.cross_account_chain()
    scenario.cloudtrail = [
        record
        for record in scenario.cloudtrail
        if not (record["eventName"] == "AssumeRole" and record["recipientAccountId"] == scenarios.WORKLOADS)
    ]
    report = run(siem, scenario)

    assert chain(report)[:2] == scenario.chain[:2]
    assert chain(report)[2] == {
        "arn": None,
        "type": "AWSAccount",
        "account_id": scenarios.WORKLOADS,
        "access_key_id": None,
    }
    assert not report.who.complete
    assert report.who.stopped is not None and "account 111111111111" in report.who.stopped
    assert "chain stops at" in report.who.summary
