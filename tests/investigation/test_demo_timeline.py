"""The whole chain and its timeline (issue 16.1) and one scope behind the report, its JSON and the
Dashboards link (16.8), on the demo incident against its ground truth (demo/truth.py)."""

from __future__ import annotations

from urllib.parse import unquote

import orjson
import prison
import pytest

from demo import Incident
from demo.truth import AttackEvent, FindingTruth
from investigation import MAX_QUERIES, investigate, render
from investigation.report import Report
from investigation.times import parse
from tests.investigation.conftest import Siem

pytestmark = pytest.mark.integration

DASHBOARDS = "https://dashboards.example/_dashboards"

# The story (docs/demo.md), hop by hop, as the timeline must tell it: (action, error code).
# Hop 1 is the finding's credential (the second role session), hop 3 the stolen user key.
# Left out on purpose: the attacker's successful DescribeInstances and DescribeSecurityGroups
# (reads that are neither sensitive nor failed) and the CI runner's own calls with the key.
EXPECTED_TIMELINE = [
    (3, "GetCallerIdentity", None),
    (3, "ListBuckets", "AccessDenied"),
    (3, "ListUsers", None),
    (3, "ListAttachedUserPolicies", None),
    (3, "GetAccountAuthorizationDetails", "AccessDenied"),
    (3, "DescribeInstances", "Client.UnauthorizedOperation"),
    (3, "ListRoles", None),
    (3, "AssumeRole", None),
    (2, "GetCallerIdentity", None),
    (2, "ListRoles", None),
    (2, "AssumeRole", None),
    (1, "CreateUser", None),
    (1, "AttachUserPolicy", None),
    (1, "CreateAccessKey", None),
    (1, "AuthorizeSecurityGroupIngress", None),
    (1, "StopLogging", None),
    (1, "ListObjects", None),
    (1, "GetObject", None),
    (1, "GetObject", None),
    (1, "GetObject", None),
    (1, "GetObject", None),
]


def _headline(incident: Incident) -> FindingTruth:
    """The exfiltration finding on the attacker's final session."""
    return next(
        truth
        for truth in incident.guardduty_findings
        if truth.access_key_id == incident.final_session.access_key_id
        and truth.kind.startswith("Exfiltration")
    )


def _chain_keys(incident: Incident) -> list[str]:
    return [
        *(session.access_key_id for session in reversed(incident.role_chain)),
        incident.compromised_access_key_id,
    ]


def _attack_event(incident: Incident, key: str | None, action: str | None, time: str | None) -> AttackEvent:
    assert time is not None
    return next(
        event
        for event in incident.attack_events
        if event.access_key_id == key and event.event_name == action and parse(event.time) == parse(time)
    )


def test_the_timeline_tells_every_hop_of_the_chain_in_order(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    report = investigate(siem.client, _headline(incident).id)
    keys = _chain_keys(incident)

    assert [link.access_key_id for link in report.who.chain] == keys
    entries = report.timeline.entries
    assert [(e.hop, e.action, e.error_code) for e in entries] == EXPECTED_TIMELINE
    assert report.timeline.important == len(EXPECTED_TIMELINE)
    times = [parse(entry.time or "") for entry in entries]
    assert times == sorted(times)
    for entry in entries:
        assert entry.hop is not None
        truth = _attack_event(incident, keys[entry.hop - 1], entry.action, entry.time)
        assert entry.event_id == truth.event_id
        assert entry.source == truth.source_ip == incident.attacker_ip
    get_objects = [entry for entry in entries if entry.action == "GetObject"]
    named = {resource for entry in get_objects for resource in entry.resources}
    for key in incident.exfiltrated_keys:
        assert f"arn:aws:s3:::{incident.exfiltrated_bucket}/{key}" in named
    reasons = {(e.action, e.reasons) for e in entries}
    assert ("ListBuckets", ("error", "sensitive read")) in reasons
    assert ("AssumeRole", ("credentials",)) in reasons
    assert ("StopLogging", ("write",)) in reasons


def test_each_hop_is_credited_with_its_own_events(siem: Siem, demo_incident: Incident) -> None:
    incident = demo_incident
    report = investigate(siem.client, _headline(incident).id)
    hops = report.timeline.hops
    keys = _chain_keys(incident)

    assert [hop.access_key_id for hop in hops] == keys
    assert [hop.identity for hop in hops] == [
        *(session.arn for session in reversed(incident.role_chain)),
        incident.compromised_user_arn,
    ]
    attacker = [[e for e in incident.attack_events if e.access_key_id == key] for key in keys]
    # The two role sessions were only ever used by the attacker.
    assert [hops[0].events, hops[1].events] == [len(attacker[0]), len(attacker[1])] == [11, 3]
    # The stolen key was also used by the CI runner, from the company's NAT address, before.
    assert hops[2].events > len(attacker[2])
    ips = {ip.value for ip in hops[2].ips}
    assert incident.attacker_ip in ips and len(ips) == 2
    denied = [e for e in attacker[2] if e.error_code in ("AccessDenied", "Client.UnauthorizedOperation")]
    assert hops[2].denials == hops[2].errors == len(denied) == 3
    assert hops[0].writes == 5  # CreateUser, AttachUserPolicy, CreateAccessKey, Authorize..., StopLogging
    assert hops[0].first_seen and parse(hops[0].first_seen) == parse(min(e.time for e in attacker[0]))
    assert hops[0].last_seen and parse(hops[0].last_seen) == parse(max(e.time for e in attacker[0]))
    assert report.timeline.events == sum(hop.events for hop in hops)


def test_the_whole_chain_stays_within_the_search_budget(siem: Siem, demo_incident: Incident) -> None:
    for truth in (*demo_incident.guardduty_findings, *demo_incident.securityhub_findings):
        siem.recorder.requests.clear()
        report = investigate(siem.client, truth.id, dashboards_url=DASHBOARDS)
        assert report.queries == len(siem.recorder.searches()) <= MAX_QUERIES, truth.kind
        assert f"{report.queries} searches (at most {MAX_QUERIES})" in render(report, "text")


def _dashboard_state(url: str) -> tuple[dict[str, str], str]:
    state = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))
    time = prison.loads(unquote(state["_g"]))["time"]
    query = prison.loads(unquote(state["_a"]))["query"]
    assert query["language"] == "lucene"
    return time, query["query"]


def _ids(siem: Siem, query: dict[str, object]) -> set[str]:
    response = siem.client.search(index="siem-cloudtrail", body={"size": 1000, "query": query})
    assert response["hits"]["total"]["value"] < 1000
    return {hit["_source"]["event"]["id"] for hit in response["hits"]["hits"]}


def _check_one_scope(siem: Siem, report: Report) -> set[str]:
    """The report's events, checked to be the link's and the JSON query's."""
    assert report.dashboards_url
    time, lucene = _dashboard_state(report.dashboards_url)
    as_json = orjson.loads(render(report, "json"))["timeline"]
    assert as_json["scope"]["lucene"] == lucene
    assert (as_json["scope"]["from"], as_json["scope"]["to"]) == (time["from"], time["to"])
    # What Dashboards runs: the query bar's Lucene within the time picker's range.
    window = {"range": {"@timestamp": {"gte": time["from"], "lte": time["to"]}}}
    dashboards = _ids(siem, {"bool": {"filter": [{"query_string": {"query": lucene}}, window]}})
    report_query = _ids(siem, {"bool": {"filter": [as_json["scope"]["query"], window]}})
    assert dashboards == report_query
    assert len(dashboards) == report.timeline.events == as_json["events"]
    assert {entry.event_id for entry in report.timeline.entries} <= dashboards
    text = render(report, "text")
    assert f"{report.timeline.events} CloudTrail events in scope" in text
    return dashboards


def test_report_json_and_dashboards_link_show_the_same_events(siem: Siem, demo_incident: Incident) -> None:
    headline = investigate(siem.client, _headline(demo_incident).id, dashboards_url=DASHBOARDS)
    shown = _check_one_scope(siem, headline)
    start, end = parse(headline.when.window_start), parse(headline.when.window_end)
    chain_keys = _chain_keys(demo_incident)
    by_the_chain = {
        e.event_id
        for e in demo_incident.attack_events
        if e.access_key_id in chain_keys and start <= parse(e.time) <= end
    }
    # 8 recon calls and the first AssumeRole with the stolen key, 3 calls of the first session,
    # 11 of the second.
    assert len(by_the_chain) == 23 and by_the_chain <= shown
    for truth in (*demo_incident.guardduty_findings, *demo_incident.securityhub_findings):
        report = investigate(siem.client, truth.id, dashboards_url=DASHBOARDS)
        if report.timeline.scope is not None:
            _check_one_scope(siem, report)
