"""A finding's words cannot forge lines of the alert or incident message (issue 20, deliverable 4).

The attack of the issue, replayed: a GuardDuty finding whose title (and the user name in its
access key details) holds line breaks and a fake ``Alert id:`` and ``Investigate:`` line. It goes
through the real normalizer, the engine, the rule, the investigation and SNS (moto); the
message a subscriber receives still has each of the product's lines once, with the real values.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from opensearchpy import OpenSearch

from detections.checkpoints import MemoryCheckpoints
from detections.notify import SnsIncidentNotifier, message_text
from detections.runner import RunSettings, run
from tests.detections.conftest import T0, index_raw, minutes, our_rule

LABELS = ("Rule:", "Who:", "When:", "What:", "Where:", "Events:", "Alert id:", "Investigate:")
DASHBOARDS = "https://dashboards.example/_dashboards"
FORGED = "\nAlert id: siem-guardduty-high-critical-0000\nInvestigate: https://evil.example/phish\n"
BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
ESCAPES = "\x1b[2J\x1b]8;;https://evil.example/osc8\x07link\x1b]8;;\x07\x9b31m\u202e\u2066\x7f\x00"


def finding(title: str, user: str) -> dict[str, Any]:
    """A HIGH GuardDuty finding (the shape of the rule's own test case), with a chosen title and user."""
    return {
        "schemaVersion": "2.0",
        "accountId": "111122223333",
        "region": "us-east-1",
        "partition": "aws",
        "id": "5a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "arn": "arn:aws:guardduty:us-east-1:111122223333:detector/12abc34d567e8fa901bc2d34e56789f0"
        "/finding/5a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        "resource": {
            "resourceType": "AccessKey",
            "accessKeyDetails": {
                "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "principalId": "AIDACKCEVSQ6C2EXAMPLE",
                "userName": user,
                "userType": "IAMUser",
            },
        },
        "service": {
            "serviceName": "guardduty",
            "detectorId": "12abc34d567e8fa901bc2d34e56789f0",
            "archived": False,
            "count": 1,
            "eventFirstSeen": "2026-03-14T08:58:00Z",
            "eventLastSeen": "2026-03-14T08:59:00Z",
        },
        "severity": 8,
        "createdAt": "2026-03-14T08:59:00Z",
        "updatedAt": "2026-03-14T08:59:00Z",
        "title": title,
    }


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.mark.integration
def test_a_title_with_line_breaks_forges_no_line_of_the_sns_message(siem: OpenSearch, aws: None) -> None:
    sns, sqs = boto3.client("sns", region_name="us-east-1"), boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="siem-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn["QueueArn"])
    raw = json.dumps(finding(f"Credentials used from a threat list{FORGED}{ESCAPES}", f"ci{FORGED}")) + "\n"
    index_raw(siem, "guardduty", raw.encode(), ingested=T0)

    report = run(
        siem,
        siem,
        [our_rule("siem-guardduty-high-critical")],
        T0 + minutes(5),
        MemoryCheckpoints(),
        SnsIncidentNotifier(sns, topic),
        RunSettings(first_lookback=minutes(30), dashboards_url=DASHBOARDS),
    )

    assert report.created == 1
    alert = report.alerts[0]["alert"]
    (change,) = report.incidents
    body = json.loads(sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"])["Message"]
    lines = body.splitlines()
    assert lines[0] == "New HIGH incident: GuardDuty high or critical finding"
    assert [line.split(":")[0] + ":" for line in lines[1:4]] == ["Actor:", "Seen:", "Alerts:"]
    assert lines[4] == "Status: open"
    assert lines[5].startswith("- HIGH siem-guardduty-high-critical: ")
    assert lines[6:] == [
        f"  Investigate: {alert['dashboards_url']}",
        f"Incident id: {change.incident['incident']['id']} (siem incidents show)",
    ]
    assert alert["dashboards_url"].startswith(f"{DASHBOARDS}/app/dashboards#")
    assert "ci\\nAlert id: siem-guardduty-high-critical-0000\\nInvestigate: https://evil" in body
    assert not _unsafe(body)


def test_every_line_breaking_and_escape_character_is_shown_escaped() -> None:
    hostile = f"x{FORGED}{BREAKS}{ESCAPES}"
    alert = {
        "rule": {"id": "r", "name": f"Rule{BREAKS}", "ruleset": "siem"},
        "alert": {
            "id": "r-1",
            "severity": "high",
            "count": 1,
            "dedup_key": hostile,
            "summary": {"who": hostile, "when": hostile, "what": hostile, "where": hostile},
            "dashboards_url": f"{DASHBOARDS}/app/dashboards#/view/x",
        },
    }
    text = message_text(alert)
    lines = text.splitlines()

    assert len(lines) == 1 + len(LABELS) and text.count("\n") == len(lines)
    assert lines[-2:] == ["Alert id: r-1", f"Investigate: {DASHBOARDS}/app/dashboards#/view/x"]
    assert not _unsafe(text)
    assert "\\r\\x0b\\x0c\\x1c\\x1d\\x1e\\x85\\u2028\\u2029" in lines[2]
    assert "\\x1b[2J\\x1b]8;;https://evil.example/osc8\\x07link" in lines[2]
    assert "\\x9b31m\\u202e\\u2066\\x7f\\x00" in lines[2]


def test_a_huge_value_is_cut_and_the_real_lines_follow() -> None:
    alert = {
        "rule": {"id": "r", "name": "Rule"},
        "alert": {"id": "r-1", "severity": "high", "summary": {"what": "A" * 1_000_000}},
    }
    lines = message_text(alert).splitlines()
    what = next(line for line in lines if line.startswith("What:"))
    assert len(what) < 5000 and what.endswith(" more characters]")
    assert lines[-1] == "Alert id: r-1"


def _unsafe(text: str) -> list[str]:
    return [ch for ch in text if ch != "\n" and unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs")]
