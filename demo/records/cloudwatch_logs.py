"""CloudWatch Logs subscription payloads and the objects Firehose writes from them.

Shapes follow ``shared/reference/aws-docs/cloudwatch-logs/subscription-payload.md``
(CloudWatch Logs User Guide, "Using CloudWatch Logs subscription filters"): each payload is
one gzip-compressed JSON object; Firehose concatenates payloads with no separator in an S3
object, and some stacks gzip the concatenation again. Also the entry point for fuzzing the
CloudWatch Logs delivery path: any list of messages -> the bytes of an object.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from demo.records.compression import gzip_bytes

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"

Payload = dict[str, object]


def log_event(message: str, timestamp_ms: int, event_id: str) -> dict[str, object]:
    """One ``logEvents`` item: ``timestamp`` is when CloudWatch Logs ingested it (epoch ms)."""
    return {"id": event_id, "timestamp": timestamp_ms, "message": message}


def event_id(timestamp_ms: int, sequence: int) -> str:
    """A 56-digit id of the shape CloudWatch Logs gives log events (made up, unique per pair)."""
    return f"{timestamp_ms:013d}{sequence:043d}"


def subscription_payload(
    *,
    owner: str,
    log_group: str,
    log_stream: str,
    events: Sequence[dict[str, object]],
    filters: Sequence[str] = ("siem-firehose",),
) -> Payload:
    """A ``DATA_MESSAGE`` payload of ``events`` (:func:`log_event`)."""
    return {
        "messageType": DATA_MESSAGE,
        "owner": owner,
        "logGroup": log_group,
        "logStream": log_stream,
        "subscriptionFilters": list(filters),
        "logEvents": list(events),
    }


def control_payload(timestamp_ms: int) -> Payload:
    """The message CloudWatch Logs sends to check that the destination is reachable."""
    return {
        "messageType": CONTROL_MESSAGE,
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [
            log_event("CWL CONTROL MESSAGE: Checking health of destination Firehose.", timestamp_ms, "")
        ],
    }


def payload_bytes(payload: Payload) -> bytes:
    """One payload as CloudWatch Logs sends it: compact JSON, gzip level 6."""
    return gzip_bytes(json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def firehose_object(payloads: Iterable[Payload | bytes], gzip_again: bool = False) -> bytes:
    """The S3 object: the gzip payloads concatenated with no separator; with ``gzip_again``,
    compressed once more (Firehose's own GZIP compression: gzip inside gzip). A payload given
    as bytes is written as is, so a damaged one can be planted."""
    body = b"".join(item if isinstance(item, bytes) else payload_bytes(item) for item in payloads)
    return gzip_bytes(body) if gzip_again else body
