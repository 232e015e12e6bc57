"""CloudWatch Logs subscription payloads, as a subscription filter's Firehose stream writes them to S3.

Each payload is one JSON object (CloudWatch Logs User Guide, "Using CloudWatch Logs
subscription filters"; ``../shared/reference/aws-docs/cloudwatch-logs/subscription-payload.md``)::

    {"messageType": "DATA_MESSAGE", "owner": "123456789012", "logGroup": "...",
     "logStream": "...", "subscriptionFilters": ["..."],
     "logEvents": [{"id": "...", "timestamp": 1432826855000, "message": "..."}]}

CloudWatch Logs gzips each payload; Firehose concatenates them with no separator, and may gzip
the concatenation again. The object pipeline undoes both (a multi-member gzip stream; gzip
inside gzip), so this module reads concatenated JSON objects, one payload at a time, with the
shared splitter (:mod:`~normalizers.framing.json_stream`): memory holds one payload, never
the object. ``CONTROL_MESSAGE`` payloads (CloudWatch Logs checking that the destination is
reachable) hold no log data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from normalizers.ecs.getters import json_type
from normalizers.framing.json_stream import json_records
from normalizers.limits import DEFAULT_LIMITS, Limits
from normalizers.reasons import INVALID_RECORD, MISSING_FIELD, RecordError

DATA_MESSAGE = "DATA_MESSAGE"
CONTROL_MESSAGE = "CONTROL_MESSAGE"


@dataclass(frozen=True, slots=True)
class Payload:
    """One subscription payload of the object, or why the bytes at its place are none."""

    index: int
    """Counts the object's payloads from 0: ``payload N`` in a dead letter's position."""
    raw: bytes
    message_type: str | None = None
    owner: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    log_events: list[Any] | None = None
    error: str | None = None
    """``invalid JSON: ...``, ``invalid record: ...``: the payload is one dead letter."""

    @property
    def control(self) -> bool:
        return self.message_type == CONTROL_MESSAGE

    @property
    def provenance(self) -> dict[str, str]:
        """``aws.cloudwatch_logs.*`` of the documents made from its events."""
        fields = {"owner": self.owner, "log_group": self.log_group, "log_stream": self.log_stream}
        return {key: value for key, value in fields.items() if value}


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One ``logEvents`` item: the record it carries is ``message``."""

    index: int
    id: str | None
    message: str


def payloads(stream: BinaryIO, limits: Limits = DEFAULT_LIMITS) -> Iterator[Payload]:
    """Each payload of ``stream`` (decompressed: concatenated JSON objects), in order, each
    within ``limits``' record size."""
    for record in json_records(stream, limits=limits):
        if record.error is not None:
            yield Payload(record.index, record.raw, error=record.error)
            continue
        yield _payload(record.index, record.raw, record.value)


def _payload(index: int, raw: bytes, value: Any) -> Payload:
    if type(value) is not dict:
        return Payload(
            index, raw, error=f"{INVALID_RECORD}: a payload must be a JSON object, not {json_type(value)}"
        )
    kind = value.get("messageType")
    if kind == CONTROL_MESSAGE:
        return Payload(index, raw, message_type=kind)
    if kind != DATA_MESSAGE:
        return Payload(index, raw, error=f"{INVALID_RECORD}: messageType {kind!r} is not {DATA_MESSAGE}")
    events = value.get("logEvents")
    if type(events) is not list:
        return Payload(index, raw, error=f"{MISSING_FIELD}: logEvents (an array)")
    texts = {name: value.get(name) for name in ("owner", "logGroup", "logStream")}
    for name, text in texts.items():
        if text is not None and not isinstance(text, str):
            return Payload(
                index, raw, error=f"{INVALID_RECORD}: {name} is a {json_type(text)}, expected a string"
            )
    return Payload(
        index,
        raw,
        message_type=kind,
        owner=texts["owner"],
        log_group=texts["logGroup"],
        log_stream=texts["logStream"],
        log_events=events,
    )


def log_event(index: int, value: Any) -> LogEvent:
    """A ``logEvents`` item; :class:`~normalizers.reasons.RecordError` when it is none."""
    if type(value) is not dict:
        raise RecordError(INVALID_RECORD, f"a log event must be a JSON object, not {json_type(value)}")
    message = value.get("message")
    if not isinstance(message, str):
        raise RecordError(MISSING_FIELD, "message (a string)")
    event_id = value.get("id")
    return LogEvent(index, event_id if isinstance(event_id, str) and event_id else None, message)
