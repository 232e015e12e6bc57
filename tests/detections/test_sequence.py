"""Sequence rules through the runner: partial sequences completed in a later run, steps
arriving out of order, one alert over overlapping runs, and what a run costs."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from opensearchpy import OpenSearch

from demo.records import cloudtrail as ct
from demo.records import guardduty as gd
from detections.checkpoints import MemoryCheckpoints
from detections.runner import RunReport, RunSettings, run
from tests.detections.conftest import T0, index_raw, minutes, our_rule, trail

pytestmark = pytest.mark.integration
SETTINGS = RunSettings(lag=minutes(2), overlap=minutes(15), first_lookback=minutes(30))
ALICE = "arn:aws:iam::111122223333:user/alice"
STOLEN = ct.role_session("111122223333", "web-instance-role", "i-0abc1234def567890", "ASIAEXAMPLEKEY000077")


def sign_in(when: datetime) -> dict[str, Any]:
    return ct.console_login(ct.iam_user("111122223333", "alice", "AIDAEXAMPLEALICE0001", None), time=when)


def create_key(when: datetime, user: str = "alice") -> dict[str, Any]:
    return ct.api_call(
        ct.iam_user("111122223333", user, "AIDAEXAMPLEALICE0001", "ASIAEXAMPLECONSOLE01"),
        event_name="CreateAccessKey",
        event_source="iam.amazonaws.com",
        time=when,
        read_only=False,
        request={"userName": user},
        response={"accessKey": {"accessKeyId": "AKIAEXAMPLENEWKEY001", "status": "Active", "userName": user}},
    )


def finding(first_seen: datetime) -> bytes:
    spec = gd.FindingSpec(
        type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        severity=8.0,
        id="5a1b2c3d4e5f60718293a4b5c6d7e8f9",
        created=first_seen + minutes(5),
        first_seen=first_seen,
        last_seen=first_seen + minutes(20),
        resource=gd.access_key_resource(
            STOLEN.access_key_id, STOLEN.principal_id, STOLEN.role_name, "AssumedRole"
        ),
    )
    return gd.export_lines([gd.finding(spec)])


def iam_write(when: datetime) -> dict[str, Any]:
    return ct.api_call(
        ct.assumed_role(STOLEN),
        event_name="AttachUserPolicy",
        event_source="iam.amazonaws.com",
        time=when,
        source_ip="198.51.100.23",
        read_only=False,
        request={"userName": "backup-svc", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
    )


def runs(client: OpenSearch, rule_id: str, times: list[datetime]) -> list[RunReport]:
    rule, store = our_rule(rule_id), MemoryCheckpoints()
    return [run(client, client, [rule], now, store, None, SETTINGS) for now in times]


def alerts_in(client: OpenSearch) -> list[dict[str, Any]]:
    response = client.search(index="siem-alerts", body={"size": 100, "query": {"match_all": {}}})
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_a_sequence_completed_forty_minutes_later_alerts_once(siem: OpenSearch) -> None:
    rule = "siem-console-signin-without-mfa-then-access-key"
    index_raw(siem, "cloudtrail", trail([sign_in(T0)]), T0 + minutes(1))
    first = runs(siem, rule, [T0 + minutes(5)])
    index_raw(siem, "cloudtrail", trail([create_key(T0 + minutes(38))]), T0 + minutes(40))
    later = runs(siem, rule, [T0 + minutes(k) for k in (45, 50, 55, 60)])

    assert first[0].created == 0
    assert [report.created for report in later] == [1, 0, 0, 0]
    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"aws.cloudtrail.user_identity.arn": ALICE}
    assert (alert["alert"]["first_seen"], alert["alert"]["last_seen"]) == (
        "2026-03-14T09:00:00.000Z",
        "2026-03-14T09:38:00.000Z",
    )
    assert (
        "ConsoleLogin" in alert["alert"]["summary"]["what"]
        and "CreateAccessKey" in alert["alert"]["summary"]["what"]
    )


def test_a_finding_indexed_after_the_iam_writes_completes_the_sequence(siem: OpenSearch) -> None:
    rule = "siem-finding-then-iam-write-same-credential"
    index_raw(siem, "cloudtrail", trail([iam_write(T0 + minutes(10))]), T0 + minutes(12))
    # GuardDuty's export arrives 25 minutes later; the finding's activity began at 09:00.
    index_raw(siem, "guardduty", finding(T0), T0 + minutes(37))
    reports = runs(siem, rule, [T0 + minutes(k) for k in (15, 20, 40, 45, 50, 55)])

    assert [report.created for report in reports] == [0, 0, 1, 0, 0, 0]
    (alert,) = alerts_in(siem)
    assert alert["alert"]["group_by"] == {"related.user": "ASIAEXAMPLEKEY000077"}
    assert alert["alert"]["index"] == "guardduty,securityhub,cloudtrail"
    assert alert["alert"]["count"] == 2 and alert["event"]["severity"] == 95
    what = alert["alert"]["summary"]["what"]  # both steps, the finding first
    assert what.index("InstanceCredentialExfiltration") < what.index("iam.amazonaws.com AttachUserPolicy")


def test_two_sign_ins_and_keys_within_the_suppression_are_one_alert(siem: OpenSearch) -> None:
    rule = "siem-console-signin-without-mfa-then-access-key"
    records = [
        sign_in(T0),
        create_key(T0 + minutes(2)),
        sign_in(T0 + minutes(20)),
        create_key(T0 + minutes(21)),
    ]
    index_raw(siem, "cloudtrail", trail(records), T0 + minutes(25))
    reports = runs(siem, rule, [T0 + minutes(k) for k in (30, 35, 40)])
    assert [report.created for report in reports] == [1, 0, 0]


def test_the_cost_of_a_run(siem: OpenSearch) -> None:
    """docs/detections.md, "Cost per run": per step one search for the window's keys and one
    for the timelines of the keys still in play, then one per step for each alert's events."""
    rule = "siem-console-signin-without-mfa-then-access-key"
    index_raw(siem, "cloudtrail", trail([sign_in(T0)]), T0 + minutes(1))
    (waiting,) = runs(siem, rule, [T0 + minutes(5)])
    index_raw(siem, "cloudtrail", trail([create_key(T0 + minutes(3))]), T0 + minutes(6))
    (complete,) = runs(siem, rule, [T0 + minutes(10)])

    assert (waiting.outcomes[0].searches, waiting.outcomes[0].hits) == (2 + 2, 0)
    assert (complete.outcomes[0].searches, complete.outcomes[0].hits, complete.created) == (2 + 2 + 2, 2, 1)


def test_a_finding_is_placed_when_its_activity_began_not_when_it_was_updated(siem: OpenSearch) -> None:
    # The finding's @timestamp is its last update (09:30); the writes (09:10) came after the
    # activity it reports began (event.start, 09:00): they follow it.
    spec = json.loads(finding(T0).decode())
    spec["updatedAt"] = "2026-03-14T09:30:00.000Z"
    index_raw(siem, "guardduty", (json.dumps(spec) + "\n").encode(), T0 + minutes(31))
    index_raw(siem, "cloudtrail", trail([iam_write(T0 + minutes(10))]), T0 + minutes(12))
    reports = runs(siem, "siem-finding-then-iam-write-same-credential", [T0 + minutes(35)])
    assert reports[0].created == 1
    (alert,) = alerts_in(siem)
    assert alert["alert"]["first_seen"] == "2026-03-14T09:00:00.000Z"
