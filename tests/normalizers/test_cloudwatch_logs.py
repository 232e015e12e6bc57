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
