"""Detection counts a marker only where its format puts it (normalizers/detect.py).

A JSON value cannot carry a marker (its quotes are escaped), but a nested *key* can: a
CloudTrail record's ``requestParameters`` name keys as the API does (an SSM document's
``schemaVersion``), an ASFF finding's ``AffectedResources`` is a map of any keys, and JSON
does not order an object's members (RFC 8259), so a record's nested object may come before
its own marker. Detection by the earliest marker anywhere sent such objects to another
source, whose reader dead-lettered every record under its own reason.
"""

from __future__ import annotations

import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.detect import detect
from normalizers.stream import GZIP_MAGIC, decompressed, read_head
from tests.conftest import GOLDEN, SHARED, golden_input

SAMPLES = SHARED / "samples"
CLOUDTRAIL_KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/x_CloudTrail_us-east-1_x.json.gz"
NEUTRAL_KEY = "firehose/2024/05/01/12/stream-1-2024-05-01-12-00-00-0b5e7a4c.gz"

# Keys that are some format's marker (each spec's Recognition.json_keys, the envelopes'),
# as a record's own nested data may name them.
NESTED_MARKERS: list[dict[str, Any]] = [
    {"schemaVersion": "2.2"},  # GuardDuty's; every SSM document has it
    {"detectorId": "d"},  # GuardDuty's
    {"ProductArn": "arn:aws:securityhub:us-east-1::product/aws/guardduty"},  # Security Hub's
    {"AwsAccountId": "111122223333"},  # Security Hub's
    {"configurationItem": {}},  # AWS Config's
    {"detail-type": "GuardDuty Finding"},  # an EventBridge event's
    {"Type": "Notification"},  # an SNS notification's
    {"messageType": "DATA_MESSAGE"},  # a CloudWatch Logs payload's
    {"rawData": "eA=="},  # a Firehose error record's
    {"eventVersion": "1.08"},  # CloudTrail's
]


def _ids(markers: list[dict[str, Any]]) -> list[str]:
    return [next(iter(marker)) for marker in markers]


def _trail_record(event_id: str, *, version: bool, first: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        **(first or {}),
        **({"eventVersion": "1.08"} if version else {}),
        "userIdentity": {"type": "IAMUser", "accountId": "111122223333", "userName": "alice"},
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": "ssm.amazonaws.com",
        "eventName": "CreateDocument",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.1",
        "eventID": event_id,
        "recipientAccountId": "111122223333",
    }


def _normalized(body: bytes, key: str) -> tuple[list[Any], list[DeadLetter]]:
    items = list(normalize_object(io.BytesIO(gzip.compress(body)), Origin(f"s3://bucket/{key}", "x")))
    return [i for i in items if not isinstance(i, DeadLetter)], [
        i for i in items if isinstance(i, DeadLetter)
    ]


@pytest.mark.parametrize("nested", NESTED_MARKERS, ids=_ids(NESTED_MARKERS))
def test_trail_records_without_their_marker_are_not_taken_for_the_source_a_nested_key_names(
    nested: dict[str, Any],
) -> None:
    # Records that lost eventVersion are read by their delivery layout (CloudTrail's); a
    # marker-named key in requestParameters made them GuardDuty's, Security Hub's, ... findings,
    # every one a dead letter ("missing field: id").
    records = [
        {**_trail_record(f"e{i}", version=False), "requestParameters": {"content": nested}} for i in (1, 2)
    ]
    body = b"\n".join(json.dumps(record).encode() for record in records)
    documents, dead = _normalized(body, CLOUDTRAIL_KEY)
    assert dead == []
    assert [d["event"]["id"] for d in documents] == ["e1", "e2"] and all(
        "cloudtrail" in d["aws"] for d in documents
    )


@pytest.mark.parametrize("nested", NESTED_MARKERS[:-1], ids=_ids(NESTED_MARKERS[:-1]))
def test_a_nested_object_before_the_records_own_marker_does_not_decide(nested: dict[str, Any]) -> None:
    # Under a key no layout claims, the record's own eventVersion (after the nested object) decides.
    first = {"requestParameters": {"content": nested}}
    body = b"\n".join(json.dumps(_trail_record(f"e{i}", version=True, first=first)).encode() for i in (1, 2))
    assert detect(body, NEUTRAL_KEY).source == "cloudtrail"
    documents, dead = _normalized(body, NEUTRAL_KEY)
    assert dead == [] and [d["event"]["id"] for d in documents] == ["e1", "e2"]


@pytest.mark.parametrize("nested", NESTED_MARKERS[:-1], ids=_ids(NESTED_MARKERS[:-1]))
def test_a_records_own_list_of_objects_is_not_an_envelopes_list_of_records(nested: dict[str, Any]) -> None:
    # {"Records": [{"eventVersion"... and a record's "resources": [{"ARN"... are both a member
    # of an object in a list in an object: only a list under a member that holds a source's
    # records (Records, findings, Findings, configurationItems...) holds records.
    first = {"resources": [{"ARN": "arn:aws:ssm:us-east-1:111122223333:document/doc", **nested}]}
    body = b"\n".join(json.dumps(_trail_record(f"e{i}", version=False, first=first)).encode() for i in (1, 2))
    documents, dead = _normalized(body, CLOUDTRAIL_KEY)
    assert dead == [] and [d["event"]["id"] for d in documents] == ["e1", "e2"]


def test_a_log_files_records_member_decides_after_a_nested_member() -> None:
    log_file = {"meta": {"schemaVersion": "1"}, "Records": [_trail_record("e1", version=True)]}
    documents, dead = _normalized(json.dumps(log_file).encode(), NEUTRAL_KEY)
    assert dead == [] and [d["event"]["id"] for d in documents] == ["e1"]


def _asff_finding() -> dict[str, Any]:
    """The attributes every ASFF finding has (asff-required-attributes.md), with an API call
    action whose ``AffectedResources`` (a map of any keys) names a marker."""
    return {
        "SchemaVersion": "2018-10-08",
        "Id": "arn:aws:securityhub:us-east-1:111122223333:finding/1",
        "ProductArn": "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
        "GeneratorId": "custom-importer",
        "AwsAccountId": "111122223333",
        "Types": ["TTPs/Discovery"],
        "CreatedAt": "2024-05-01T12:00:00.000Z",
        "UpdatedAt": "2024-05-01T12:00:00.000Z",
        "Severity": {"Label": "HIGH"},
        "Title": "API call",
        "Description": "An API call",
        "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:111122223333"}],
        "Action": {
            "ActionType": "AWS_API_CALL",
            "AwsApiCallAction": {"Api": "CreateDocument", "AffectedResources": {"eventVersion": "1.08"}},
        },
    }


def test_a_security_hub_finding_sorted_by_key_is_not_taken_for_cloudtrail() -> None:
    # Sorted (jq -S, json.dumps(sort_keys=True)), "Action" comes before "AwsAccountId".
    body = json.dumps({"Findings": [_asff_finding()]}, sort_keys=True).encode()
    documents, dead = _normalized(body, NEUTRAL_KEY)
    assert dead == [] and [d["event"]["kind"] for d in documents] == ["alert"]
    assert all("securityhub_findings" in d["aws"] for d in documents)


def test_a_guardduty_arn_in_a_security_hub_findings_own_data_does_not_outrank_it() -> None:
    # GuardDuty's "Arn" outranks Security Hub's markers only as a finding's member (the CLI's
    # GuardDuty shape), not in a free-form map of an ASFF finding's resource.
    finding = _asff_finding()
    finding["Resources"][0]["Details"] = {
        "Other": {"Arn": "arn:aws:guardduty:us-east-1:111122223333:detector/d"}
    }
    documents, dead = _normalized(json.dumps(finding).encode(), NEUTRAL_KEY)
    assert dead == [] and all("securityhub_findings" in d["aws"] for d in documents) and len(documents) == 1


def test_a_guardduty_finding_whose_service_comes_first_is_not_taken_for_another_source() -> None:
    line = (GOLDEN / "guardduty" / "panther-samples" / "input.jsonl").read_text().splitlines()[0]
    finding = json.loads(line)
    # additionalInfo is a free-form map; JSON leaves members in any order.
    service = {"additionalInfo": {"ProductArn": "x", "eventVersion": "1"}}
    service |= {k: v for k, v in finding.pop("service").items() if k != "additionalInfo"}
    reordered = {"service": service, **finding}
    documents, dead = _normalized(json.dumps(reordered).encode(), NEUTRAL_KEY)
    assert dead == [] and len(documents) == 1 and "guardduty" in documents[0]["aws"]


def test_a_config_notification_whose_diff_comes_first_is_not_taken_for_guardduty() -> None:
    # An SSM document's change: its content (with schemaVersion) is in the diff, which AWS
    # Config writes before the configuration item.
    lines = (GOLDEN / "config" / "eventbridge-notifications" / "input.jsonl").read_text().splitlines()
    notification = next(
        event["detail"]
        for event in map(json.loads, lines)
        if event["detail"].get("messageType") == "ConfigurationItemChangeNotification"
    )
    diff = {"changedProperties": {"Configuration.Content": {"updatedValue": {"schemaVersion": "2.2"}}}}
    notification = {"configurationItemDiff": diff} | {
        k: v for k, v in notification.items() if k != "configurationItemDiff"
    }
    body = json.dumps(notification).encode()
    assert detect(body, NEUTRAL_KEY).source == "config"


def test_a_cloudwatch_logs_payload_with_a_nested_member_first_is_still_a_payload() -> None:
    record = json.dumps(_trail_record("e1", version=True))
    payload = {
        "owner": "111122223333",
        "logGroup": "aws-cloudtrail-logs",
        "logStream": "111122223333_CloudTrail_us-east-1",
        "subscriptionFilters": ["all"],
        "policyLevel": {"schemaVersion": "1"},
        "messageType": "DATA_MESSAGE",
        "logEvents": [{"id": "1", "timestamp": 1714564800000, "message": record}],
    }
    assert detect(json.dumps(payload).encode(), NEUTRAL_KEY).delivery == "cloudwatch_logs"


def test_an_unknown_eventbridge_events_detail_decides_not_its_nested_data() -> None:
    record = _trail_record(
        "e1", version=True, first={"requestParameters": {"content": {"schemaVersion": "2.2"}}}
    )
    event = {"version": "0", "detail-type": "Some Future Kind", "source": "aws.x", "detail": record}
    assert detect(json.dumps(event).encode(), NEUTRAL_KEY).source == "cloudtrail"
    # Envelope members that are not the record do not decide either.
    event = {"detail-type": "Some Future Kind", "resources": [{"schemaVersion": "2"}], "detail": record}
    assert detect(json.dumps(event).encode(), NEUTRAL_KEY).source == "cloudtrail"


@pytest.mark.parametrize(
    "head",
    [
        # Unterminated strings full of escaped quotes, with and without a trailing backslash.
        b'{"a":"' + b'\\"' * 30_000 + b"\\",
        b'{"a":"' + b'\\"schemaVersion\\":' * 3_000,
        # Markers at every depth but the ones that count, and brackets deeper than any record.
        b'{"a":' + b'{"schemaVersion":1,' * 3_000,
        b"[" * 30_000 + b'{"eventVersion":1}' * 2_000,
        b'{"a":[' + b'"x\\\\",' * 10_000,
    ],
    ids=["escaped quotes", "escaped markers", "nested markers", "deep brackets", "escaped backslashes"],
)
def test_hostile_heads_are_read_without_backtracking(head: bytes) -> None:
    # Never timed: a string pattern that backtracks (``"(?:[^"\\]|\\.)*"``) restarts at each
    # escaped quote of an unterminated string and takes a minute on the first head; the
    # structure's reads it once. None of these heads has a marker where a format puts one.
    detection = detect(head[: 1 << 16], NEUTRAL_KEY)
    assert detection.source is None and detection.delivery is None


def _head(path: Path) -> bytes:
    """The head detection sees, read as the object pipeline reads it (gzip in gzip included)."""
    with golden_input(path) as handle:
        head, stream = read_head(decompressed(handle))
        if head.startswith(GZIP_MAGIC):
            head, stream = read_head(decompressed(stream))
        stream.close()
    return head


def _json_inputs() -> list[Any]:
    """Every golden input and shared sample that is JSON, with the source or delivery path its
    folder names (``tests/golden/<name>/``, ``shared/samples/<name>/``)."""
    golden = [(path, path.parent.parent.name) for path in sorted(GOLDEN.glob("*/*/input*"))]
    samples = [
        (path, path.relative_to(SAMPLES).parts[0])
        for path in sorted(SAMPLES.rglob("*.json*"))  # none where ../shared is absent
        if path.relative_to(SAMPLES).parts[0] != "sigma"
    ]
    cases = []
    for path, name in golden + samples:
        head = _head(path)
        if head.lstrip()[:1] in (b"{", b"["):
            cases.append(pytest.param(head, name, id=re.sub(r".*/(golden|samples)/", "", str(path))))
    return cases


@pytest.mark.parametrize(("head", "name"), _json_inputs())
def test_every_json_golden_input_and_sample_is_detected_as_its_folders_source(head: bytes, name: str) -> None:
    detection = detect(head, NEUTRAL_KEY)
    assert name in (detection.source, detection.delivery)
