"""Who changed it, exactly (issue 14.2): a control finding on a resource is answered by the
CloudTrail events AWS Config's configuration items name (``relatedEvents``), with their
actors' chains, before the time-window guess."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from demo import Incident
from demo.cast import REGION
from demo.records import cloudtrail as ct
from demo.records import config as cfg
from investigation import MAX_QUERIES, FindingNotFound, investigate, render
from tests.investigation import scenarios
from tests.investigation.conftest import Siem
from tests.investigation.scenarios import WORKLOADS, t

pytestmark = pytest.mark.integration

GROUP = "sg-0abc0000000000001"
GROUP_ARN = f"arn:aws:ec2:us-east-1:{WORKLOADS}:security-group/{GROUP}"
NETADMIN = f"arn:aws:sts::{WORKLOADS}:assumed-role/NetAdmin/dave"
DAVE = f"arn:aws:iam::{WORKLOADS}:user/dave"


def _group_item(minutes: float, related: tuple[str, ...]) -> dict[str, Any]:
    """The group's configuration item, captured about a minute after the change (Config's delay)."""
    return cfg.configuration_item(
        WORKLOADS,
        "us-east-1",
        "AWS::EC2::SecurityGroup",
        GROUP,
        datetime.fromisoformat(t(minutes).replace("Z", "+00:00")),
        {"groupId": GROUP, "ipPermissions": [{"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389}]},
        arn=GROUP_ARN,
        related_events=related,
    )


def _later_tag_by_bob() -> dict[str, Any]:
    """bob tags the group after NetAdmin opened it: the newest write on the group in the window."""
    bob = ct.iam_user(WORKLOADS, "bob", "AIDABOB00000000001", "AKIABOB0000000000001")
    return ct.api_call(
        bob,
        event_name="CreateTags",
        event_source="ec2.amazonaws.com",
        time=t(8),
        source_ip="192.0.2.10",
        recipient_account=WORKLOADS,
        read_only=False,
        request={"resourcesSet": {"items": [{"resourceId": GROUP}]}, "tagSet": {"items": []}},
    )


def _load(siem: Siem) -> tuple[scenarios.Scenario, str]:
    """The EC2.19 scenario plus a later write by bob; returns it and the id of NetAdmin's call."""
    scenario = scenarios.control_on_resource()
    records = [*scenario.cloudtrail, _later_tag_by_bob()]
    siem.cloudtrail(records)
    siem.securityhub(scenario.securityhub)
    opened = next(
        r
        for r in records
        if r["eventName"] == "AuthorizeSecurityGroupIngress" and r["requestParameters"]["groupId"] == GROUP
    )
    return scenario, str(opened["eventID"])


def test_the_change_config_names_is_reported_with_its_actor_and_chain(siem: Siem) -> None:
    scenario, opened = _load(siem)
    siem.config([_group_item(3, (opened,))])  # Config captured the group a minute after the call
    siem.recorder.requests.clear()
    report = investigate(siem.client, scenario.finding_id)

    what = report.what
    assert what.changes_from == "config"
    assert [(c.event_id, c.action, c.actor) for c in what.changes] == [
        (opened, "AuthorizeSecurityGroupIngress", NETADMIN)
    ]
    assert [(item.resource_id, item.event_ids) for item in what.config_items] == [(GROUP, (opened,))]
    # Without Config, the newest write on the group (bob's tags) would be followed.
    assert [link.arn for link in report.who.chain] == [NETADMIN, DAVE]
    assert report.who.complete
    assert report.who.summary.startswith("2 identities acted on the resource; the change AWS Config")
    assert report.who.chain[0].issued_by is not None
    assert report.who.chain[0].issued_by.action == "AssumeRole"
    # One search more than without Config: the config index, once; the events ride on the activity search.
    assert siem.recorder.searches()[1].url.startswith("/siem-config/")
    assert report.queries == len(siem.recorder.searches()) <= MAX_QUERIES
    text = render(report, "text")
    assert "Changes AWS Config recorded" in text and opened in text


def test_without_config_items_the_newest_write_in_the_window_is_followed(siem: Siem) -> None:
    scenario, _ = _load(siem)
    report = investigate(siem.client, scenario.finding_id)

    assert report.what.changes_from == "window" and report.what.config_items == []
    assert [c.action for c in report.what.changes][:1] == ["CreateTags"]
    assert [link.arn for link in report.who.chain] == [f"arn:aws:iam::{WORKLOADS}:user/bob"]


def test_events_config_names_but_cloudtrail_lacks_fall_back_to_the_window(siem: Siem) -> None:
    scenario, _ = _load(siem)
    siem.config([_group_item(3, ("00000000-0000-0000-0000-00000000dead",))])
    report = investigate(siem.client, scenario.finding_id)

    assert report.what.changes_from == "window" and len(report.what.config_items) == 1
    assert [link.arn for link in report.who.chain] == [f"arn:aws:iam::{WORKLOADS}:user/bob"]
    assert "none of them found in CloudTrail" in report.what.summary


def test_an_item_outside_the_window_is_not_used(siem: Siem) -> None:
    scenario, opened = _load(siem)
    siem.config([_group_item(-300, (opened,))])  # five hours before: outside the 2 h window
    report = investigate(siem.client, scenario.finding_id)

    assert report.what.changes_from == "window" and report.what.config_items == []


def test_the_demo_security_group_control_names_the_attackers_call(
    siem: Siem, demo_incident: Incident
) -> None:
    incident = demo_incident
    control = next(truth for truth in incident.securityhub_findings if truth.kind == "EC2.13")
    opened = next(
        e
        for e in incident.attack_events
        if e.event_name == "AuthorizeSecurityGroupIngress" and e.account_id == incident.target_account_id
    )
    siem.recorder.requests.clear()
    report = investigate(siem.client, control.id, window=timedelta(hours=2))

    assert report.finding.mode == "resource"
    assert report.what.changes_from == "config"
    assert [(c.event_id, c.action) for c in report.what.changes] == [
        (opened.event_id, "AuthorizeSecurityGroupIngress")
    ]
    head = report.who.chain[0]
    assert head.access_key_id == opened.access_key_id
    assert report.what.changes[0].actor == head.label
    assert report.who.complete and report.who.chain[-1].arn == incident.compromised_user_arn
    assert report.queries == len(siem.recorder.searches()) <= MAX_QUERIES


def test_a_config_non_compliance_is_investigated_by_its_document_id(
    siem: Siem, demo_incident: Incident
) -> None:
    """Config's restricted-ssh verdict on the demo's group: `siem investigate <event.id>` (the id
    docs/sources/config.md gives a rule's verdict) names the attacker's call as the control does."""
    incident = demo_incident
    opened = next(
        e
        for e in incident.attack_events
        if e.event_name == "AuthorizeSecurityGroupIngress" and e.account_id == incident.target_account_id
    )
    # The compliance item is captured 2 minutes after the group's item, itself 41 s after the call.
    captured = datetime.fromisoformat(opened.time.replace("Z", "+00:00")) + timedelta(seconds=41, minutes=2)
    group = _group_opened_by(siem, opened.event_id)
    verdict_id = (
        f"{incident.target_account_id}/{REGION}/AWS::Config::ResourceCompliance/AWS::EC2::SecurityGroup/"
        f"{group}/{int(captured.timestamp() * 1000)}/restricted-ssh"
    )
    siem.recorder.requests.clear()
    report = investigate(siem.client, verdict_id)

    assert (report.finding.source, report.finding.type, report.finding.mode) == (
        "config",
        "restricted-ssh",
        "resource",
    )
    assert report.what.changes_from == "config"
    assert [c.event_id for c in report.what.changes] == [opened.event_id]
    assert report.who.chain[0].access_key_id == opened.access_key_id
    assert report.who.complete and report.who.chain[-1].arn == incident.compromised_user_arn
    assert report.queries == len(siem.recorder.searches()) <= MAX_QUERIES


def _group_opened_by(siem: Siem, event_id: str) -> str:
    """The group the attacker's CloudTrail call opened, as its request names it."""
    hits = siem.client.search(index="siem-cloudtrail", body={"query": {"term": {"event.id": event_id}}})
    return str(hits["hits"]["hits"][0]["_source"]["aws"]["cloudtrail"]["request_parameters"]["groupId"])


def test_a_compliant_verdict_is_not_a_finding(siem: Siem, demo_incident: Incident) -> None:
    compliant = siem.client.search(
        index="siem-config", body={"query": {"term": {"aws.config.compliance.type": "COMPLIANT"}}}
    )["hits"]["hits"]
    assert compliant, "the demo's iam-user-no-policies-check verdict is COMPLIANT"
    with pytest.raises(FindingNotFound):
        investigate(siem.client, compliant[0]["_source"]["event"]["id"])


def test_a_config_search_shortens_the_chain_walk_to_keep_the_budget(siem: Siem) -> None:
    """user -> Hop1 -> ... -> Hop5: five lookups to the origin. With the Config search, the
    budget leaves four: the chain is cut there, saying so, and no 11th search is sent."""
    user = ct.iam_user(WORKLOADS, "erin", "AIDAERIN0000000001", "AKIAERIN000000000001")
    sessions = [
        ct.role_session(
            WORKLOADS,
            f"Hop{n}",
            "erin",
            f"ASIAHOP{n}0000000000{n}",
            f"AROAHOP{n}000000001",
            created=scenarios.T0,
        )
        for n in range(1, 6)
    ]
    callers = [user, *(ct.assumed_role(session) for session in sessions)]
    records = [
        ct.assume_role(callers[n], session, recorded_by=WORKLOADS, time=t(n * 0.1), source_ip="192.0.2.44")
        for n, session in enumerate(sessions)
    ]
    opened = ct.api_call(
        callers[-1],
        event_name="AuthorizeSecurityGroupIngress",
        event_source="ec2.amazonaws.com",
        time=t(2),
        source_ip="192.0.2.44",
        recipient_account=WORKLOADS,
        read_only=False,
        request={"groupId": GROUP},
    )
    siem.cloudtrail([*records, opened])
    control = scenarios.control_on_resource().securityhub[0]
    siem.securityhub([control])
    siem.config([_group_item(3, (str(opened["eventID"]),))])
    siem.recorder.requests.clear()
    report = investigate(siem.client, control["Id"])

    assert report.what.changes_from == "config"
    assert report.queries == len(siem.recorder.searches()) == MAX_QUERIES
    assert [link.access_key_id for link in report.who.chain] == [
        f"ASIAHOP{n}0000000000{n}" for n in (5, 4, 3, 2, 1)
    ]
    assert not report.who.complete
    assert report.who.stopped == "the chain is longer than 4 hops; it was cut there"
