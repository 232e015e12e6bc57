"""CloudTrail records exported by other tools (docs/sources/cloudtrail.md, "Other shapes"):
lookup-events output, CloudTrail Lake query results, Logstash re-exports."""

from __future__ import annotations

import io
import json
from typing import Any

from normalizers import DeadLetter, Origin, normalize_object
from normalizers.cloudtrail.exports import exported, with_event_time
from normalizers.detect import detect

RECORD: dict[str, Any] = {
    "eventVersion": "1.08",
    "userIdentity": {"type": "IAMUser", "principalId": "AIDAEXAMPLE", "accountId": "123456789012"},
    "eventTime": "2024-05-01T12:00:00Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "ListUsers",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.7",
    "eventID": "6f1c9a3e-0000-4000-8000-000000000001",
    "recipientAccountId": "123456789012",
}


def _items(value: Any) -> list[Any]:
    body = json.dumps(value).encode()
    return list(normalize_object(io.BytesIO(body), Origin("export.json", "2026-01-01T00:00:00Z")))


def test_lookup_events_output_is_recognized_and_each_event_is_its_record() -> None:
    output = {
        "Events": [{"EventId": RECORD["eventID"], "CloudTrailEvent": json.dumps(RECORD)}],
        "NextToken": "t",
    }
    assert detect(json.dumps(output).encode()).source == "cloudtrail"
    [document] = _items(output)
    assert document["event"]["id"] == RECORD["eventID"] and document["user"]["id"] == "AIDAEXAMPLE"


def test_lake_rows_are_found_wherever_query_result_rows_is() -> None:
    row = [{"eventJson": json.dumps(RECORD)}]
    for output in (
        {"QueryStatus": "FINISHED", "QueryResultRows": [row]},
        {"QueryResultRows": [row], "NextToken": "x"},
    ):
        assert detect(json.dumps(output).encode()).source == "cloudtrail"
        [document] = _items(output)
        assert document["event"]["action"] == "ListUsers"


def test_a_lake_row_of_columns_is_nested_back_and_its_json_text_parsed() -> None:
    row = [
        {"eventName": "ListUsers"},
        {"userIdentity.type": "IAMUser"},
        {"userIdentity.sessionContext.attributes.mfaAuthenticated": "true"},
        {"requestParameters": '{"maxItems": 10}'},
        {"errorMessage": "[not json"},
    ]
    record, raw = exported(row, b"ignored")
    assert record == {
        "eventName": "ListUsers",
        "userIdentity": {"type": "IAMUser", "sessionContext": {"attributes": {"mfaAuthenticated": "true"}}},
        "requestParameters": {"maxItems": 10},
        "errorMessage": "[not json",
    }
    assert json.loads(raw) == record  # a dead letter replays as a bare record


def test_other_values_pass_unchanged() -> None:
    for value in (RECORD, [RECORD], [{"a": 1, "b": 2}], [], {"Records": []}):
        assert exported(value, b"raw") == (value, b"raw")


def test_logstash_timestamp_stands_in_only_for_a_missing_event_time() -> None:
    moved = {key: value for key, value in RECORD.items() if key != "eventTime"}
    assert with_event_time({**moved, "@timestamp": "2024-05-01T12:00:00.000Z"})["eventTime"] == (
        "2024-05-01T12:00:00.000Z"
    )
    assert (
        with_event_time({**RECORD, "@timestamp": "2030-01-01T00:00:00.000Z"})["eventTime"]
        == RECORD["eventTime"]
    )
    [letter] = _items({**moved, "@version": "1"})
    assert isinstance(letter, DeadLetter) and letter.reason == "missing field: eventTime"
