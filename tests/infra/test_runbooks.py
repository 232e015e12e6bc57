"""docs/runbooks.md has one section per CloudWatch alarm of the synthesized templates (matched by
the alarm's construct id, the logical id without ``Alarms`` and CDK's hash), each with its
meaning, causes, diagnosis and fix, and every alarm's description links to its section."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from ingest.events import parse_event
from tests.infra.cfn import resources

RUNBOOKS = Path(__file__).resolve().parents[2] / "docs" / "runbooks.md"
PARTS = ("**Meaning.**", "**Likely causes.**", "**Diagnose.**", "**Fix.**")


def sections() -> dict[str, str]:
    """``## <name>`` -> the section's text."""
    found: dict[str, str] = {}
    name = None
    for line in RUNBOOKS.read_text().splitlines():
        if line.startswith("## "):
            name = line[3:].strip()
            found[name] = ""
        elif name is not None:
            found[name] += line + "\n"
    return found


def alarms(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Construct id (``QueueAge``) -> the alarm's properties."""
    return {
        re.fullmatch(r"Alarms(\w+?)[0-9A-F]{8}", logical_id).group(1): alarm["Properties"]
        for logical_id, alarm in resources(template, "AWS::CloudWatch::Alarm").items()
    }


@pytest.mark.parametrize("which", ["central", "variant"])
def test_every_alarm_has_a_complete_runbook_and_links_to_it(
    which: str, request: pytest.FixtureRequest
) -> None:
    template = request.getfixturevalue(which)
    found = alarms(template)
    assert len(found) == 10  # queue age, dead letters; errors and throttles of 4 functions
    documented = sections()
    for name, alarm in found.items():
        assert name in documented, f"docs/runbooks.md has no '## {name}' section"
        assert all(part in documented[name] for part in PARTS), f"{name}: {PARTS}"
        assert alarm["AlarmDescription"].endswith(f" Runbook: docs/runbooks.md#{name.lower()}")


def test_no_runbook_without_its_alarm(central: dict[str, Any]) -> None:
    assert set(sections()) == set(alarms(central))


def test_the_documented_notification_is_one_ingest_accepts() -> None:
    # DeadLetterDepth: re-sending an object's notification by hand, in S3's event shape.
    text = sections()["DeadLetterDepth"]
    body = re.search(r"--message-body\s+'(\{.*?\})'", text, re.DOTALL)
    assert body is not None
    document = body.group(1).replace("<bucket>", "central-logs").replace("<versionId>", "3HL4kqtJlcpXroDTDmJ")
    document = document.replace("<URL-encoded key>", "vpcflow/AWSLogs/111111111111/vpcflowlogs/x+y.log.gz")
    sqs_record = {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
        "body": json.dumps(json.loads(document)),
        "attributes": {
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        "messageAttributes": {},
        "md5OfBody": "e4e68fb7bd0e697a0ae8f1bb342846b3",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:111111111111:AwsSiem-IngestQueue",
        "awsRegion": "eu-west-1",
    }
    [message] = parse_event({"Records": [sqs_record]})
    assert message.error is None
    [ref] = message.objects
    assert (ref.bucket, ref.key, ref.version_id) == (
        "central-logs",
        "vpcflow/AWSLogs/111111111111/vpcflowlogs/x y.log.gz",
        "3HL4kqtJlcpXroDTDmJ",
    )
