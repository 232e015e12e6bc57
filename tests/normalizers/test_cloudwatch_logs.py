"""CloudWatch Logs subscription payloads: dead letters of log events that hold no record
(docs/sources/cloudwatch_logs.md; the golden cases cover the documents)."""

from __future__ import annotations

import io
import json

import orjson

from demo.records import cloudwatch_logs as cwl
from normalizers import DeadLetter, Origin, normalize_object
from tests.conftest import GOLDEN

RECORD = json.loads((GOLDEN / "cloudtrail" / "docs-error-code" / "input.json").read_text())["Records"][0]
ORIGIN = Origin("s3://bucket/firehose/2024/05/01/12/x.gz", "2026-01-01T00:00:00Z")


def test_an_empty_log_event_among_cloudtrail_records_is_a_dead_letter_holding_the_log_event() -> None:
    # Found by the fuzzer (CloudWatch Logs payloads with hostile values, long profile): an
    # empty message after a CloudTrail record was "invalid JSON" with no bytes at all.
    events = [cwl.log_event(json.dumps(RECORD), 1714564800000, "1"), cwl.log_event("", 1714564800001, "2")]
    payload = cwl.subscription_payload(owner="111111111111", log_group="trail", log_stream="s", events=events)
    normalized = normalize_object(io.BytesIO(cwl.firehose_object([payload])), ORIGIN)
    document, letter = list(normalized)
    assert document["event"]["action"] == "UpdateTrail"
    assert isinstance(letter, DeadLetter)
    assert (letter.source, letter.reason, letter.position) == (
        "cloudtrail",
        "invalid record: an empty log event",
        "payload 0 event 1",
    )
    assert orjson.loads(letter.raw) == {"id": "2", "timestamp": 1714564800001, "message": ""}
    assert normalized.outcome.records == 2


FLOW = "2 123456789010 eni-1235b8ca123456789 203.0.113.12 172.31.16.139 49761 3389 6 20 4249 1418530010 1418530070 ACCEPT OK"
"""A default-format flow line (the VPC User Guide's flow log record examples)."""


def _flow_documents(event_id: str, key: str) -> list[dict[str, object]]:
    events = [cwl.log_event(FLOW, 1418530080000, event_id)]
    payload = cwl.subscription_payload(
        owner="123456789010", log_group="vpc-flows", log_stream="eni", events=events
    )
    origin = Origin(f"s3://bucket/firehose/2014/12/14/04/{key}.gz", "2026-01-01T00:00:00Z")
    items = list(normalize_object(io.BytesIO(cwl.firehose_object([payload])), origin))
    assert not [item for item in items if isinstance(item, DeadLetter)]
    return items


def test_a_log_event_id_of_cloudwatch_logs_length_is_the_flow_event_id() -> None:
    log_event_id = cwl.event_id(1418530080000, 7)  # 56 digits, as CloudWatch Logs writes it
    [document] = _flow_documents(log_event_id, "a")
    assert document["event"]["id"] == log_event_id


def test_a_log_event_id_longer_than_cloudwatch_logs_ones_is_replaced_by_a_stable_hash() -> None:
    # A forged payload: a megabyte of id would be a keyword term the index refuses (32,766
    # bytes at most) and cost its bytes in every copy. The flow itself is sound: indexed.
    hostile = "9" * 57 + "x" * 1_000_000
    [first] = _flow_documents(hostile, "a")
    [again] = _flow_documents(hostile, "b")  # the same payload delivered twice: one id
    assert first["event"]["id"] == again["event"]["id"]
    assert len(first["event"]["id"]) == 32 and int(first["event"]["id"], 16) >= 0
    assert first["source"]["ip"] == "203.0.113.12"
    [other] = _flow_documents("9" * 57, "a")
    assert other["event"]["id"] != first["event"]["id"] and len(other["event"]["id"]) == 32


def test_a_flow_line_with_a_run_of_spaces_is_read_in_the_default_format() -> None:
    # "Each record is a string with fields separated by spaces" (flow-logs.md); the guide's
    # own TCP flag example has two in a row: still 14 fields, not a 15-field line to refuse.
    line = FLOW.replace(" 3389 ", "  3389 ")
    events = [cwl.log_event(line, 1418530080000, cwl.event_id(1418530080000, 1))]
    payload = cwl.subscription_payload(
        owner="123456789010", log_group="vpc-flows", log_stream="eni", events=events
    )
    [document] = list(normalize_object(io.BytesIO(cwl.firehose_object([payload])), ORIGIN))
    assert not isinstance(document, DeadLetter)
    assert (document["source"]["ip"], document["destination"]["port"], document["source"]["bytes"]) == (
        "203.0.113.12",
        3389,
        4249,
    )


def _trail_account(record: dict[str, object], log_stream: str) -> str | None:
    events = [cwl.log_event(json.dumps(record), 1714564800000, "1")]
    payload = cwl.subscription_payload(
        owner="111111111111", log_group="org-trail", log_stream=log_stream, events=events
    )
    [document] = list(normalize_object(io.BytesIO(cwl.firehose_object([payload])), ORIGIN))
    assert not isinstance(document, DeadLetter), document
    return document["cloud"].get("account", {}).get("id")


WEB_IDENTITY_CALL = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "WebIdentityUser",
        "principalId": "accounts.google.com:app:user",
        "userName": "user",
    },
    "eventTime": "2024-05-04T07:00:00Z",
    "eventSource": "sts.amazonaws.com",
    "eventName": "AssumeRoleWithWebIdentity",
    "awsRegion": "us-east-1",
    "eventID": "aa000000-0000-4000-8000-000000000002",
}
"""A record whose caller has no account (a web identity), without ``recipientAccountId``."""


def test_a_cloudtrail_record_without_its_account_takes_the_one_its_log_stream_is_named_after() -> None:
    # Found by make fuzz: such a record through CloudWatch Logs had no cloud.account.id (the
    # S3 path falls back to the AWSLogs/<account>/ folder of the key; a Firehose key has none).
    assert _trail_account(WEB_IDENTITY_CALL, "444455556666_CloudTrail_us-east-1") == "444455556666"
    organization_trail = "o-aa111bb222_444455556666_CloudTrail_eu-west-1"
    assert _trail_account(WEB_IDENTITY_CALL, organization_trail) == "444455556666"
    # Before the caller's account, which is another one for a cross-account call.
    caller = {**WEB_IDENTITY_CALL, "userIdentity": {"type": "IAMUser", "accountId": "777788889999"}}
    assert _trail_account(caller, "444455556666_CloudTrail_us-east-1") == "444455556666"


def test_the_payload_owner_is_never_a_cloudtrail_records_account() -> None:
    # The owner is the log group's account: for an organization trail the management account.
    assert _trail_account(WEB_IDENTITY_CALL, "a-stream-of-another-name") is None
    recorded = {**WEB_IDENTITY_CALL, "recipientAccountId": "222233334444"}
    assert _trail_account(recorded, "444455556666_CloudTrail_us-east-1") == "222233334444"
