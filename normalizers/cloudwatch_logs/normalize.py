"""CloudWatch Logs payloads -> the documents of the records their log events carry, each routed
to its source (docs/sources/cloudwatch_logs.md).

A payload's log events come from one log group, so the payload is read one way:

- a log group (or the object's S3 key) with a flow log format configured (``VPC_FLOW_FORMATS``):
  each message is a flow line in that format;
- otherwise, messages that are JSON objects are CloudTrail records (CloudTrail writes one
  event per log event), mapped by CloudTrail's own mapper;
- otherwise flow lines in the default format, for lines of its 14 fields only: any other
  line is dead-lettered with the reason, never guessed at.

Flow lines of a payload are read together by the flow log text reader (one vectorized batch
per payload) with the format as their header, so a flow from CloudWatch Logs and the same
flow from S3 make the same document. What the payload adds is kept as provenance
(``aws.cloudwatch_logs.owner``, ``log_group``, ``log_stream``); ``cloud.account.id`` stays
the record's own (a CloudTrail record without one: the account its log stream is named after).
Memory holds one payload and its documents.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

from normalizers.base import DeadLetter, Origin
from normalizers.cloudtrail.normalize import record_mapper
from normalizers.delivery import Routed, Skipped
from normalizers.ecs.getters import json_type
from normalizers.ecs.ids import record_id
from normalizers.framing import lines
from normalizers.framing.cloudwatch_logs import CONTROL_MESSAGE, LogEvent, Payload, log_event, payloads
from normalizers.framing.json_stream import exact_loads
from normalizers.loop import Mapper, reason_of
from normalizers.reasons import INVALID_JSON, INVALID_RECORD, RecordError
from normalizers.vpcflow.formats import CONFIGURATION, DEFAULT_HEADER, configured_header
from normalizers.vpcflow.tables import V2_FIELDS

UNKNOWN = "unknown"
"""The source of a dead letter for a payload that cannot be read (it replays by detection)."""
MAX_LOG_EVENT_ID = 56
"""A log event's ``id`` is a 56-digit decimal string (CloudWatch Logs User Guide, "Using
CloudWatch Logs subscription filters"): a longer one is no CloudWatch Logs id."""

_DEFAULT_WIDTH = len(V2_FIELDS)
_SPACES = re.compile(" +")
_TRAIL_STREAM = re.compile(r"(?:o-[a-z0-9]{10,32}_)?([0-9]{12})_CloudTrail_[a-z0-9-]+")
"""The log stream CloudTrail writes an account's events to, ``<account>_CloudTrail_<region>``
(``<organization id>_<account>_...`` for an organization trail): group 1 is that account."""


def normalize(stream: BinaryIO, origin: Origin) -> Iterator[Routed | Skipped]:
    """Each log event's item, named by its source; control payloads as :class:`Skipped`."""
    trail = record_mapper(origin)
    for payload in payloads(stream, origin.limits):
        if payload.error is not None:
            yield Routed(
                UNKNOWN,
                DeadLetter(UNKNOWN, payload.error, origin.object, f"payload {payload.index}", payload.raw),
            )
        elif payload.control:
            yield Skipped(f"CloudWatch Logs {CONTROL_MESSAGE}")
        else:
            yield from _payload_items(payload, origin, trail)


def _payload_items(payload: Payload, origin: Origin, trail: Mapper) -> Iterator[Routed]:
    header = configured_header(origin, payload.log_group)
    events: list[LogEvent] = []
    for index, value in enumerate(payload.log_events or ()):
        try:
            events.append(log_event(index, value))
        except RecordError as error:
            where = _position(payload, index)
            source = "vpcflow" if header is not None else "cloudtrail"
            yield Routed(source, DeadLetter(source, str(error), origin.object, where, _raw(value)))
    if header is None and events and events[0].message.lstrip().startswith("{"):
        for event in events:
            yield _trail_item(payload, event, origin, trail)
    else:
        yield from _flow_items(payload, events, header, origin)


def _trail_item(payload: Payload, event: LogEvent, origin: Origin, trail: Mapper) -> Routed:
    raw = event.message.encode("utf-8", "surrogatepass")
    position = _position(payload, event.index)
    if not raw.strip():  # no record to show: the log event itself is the dead letter's bytes
        reason = f"{INVALID_RECORD}: an empty log event"
        item = (payload.log_events or [])[event.index]
        return Routed("cloudtrail", DeadLetter("cloudtrail", reason, origin.object, position, _raw(item)))
    try:
        record = exact_loads(raw)  # as a record of an object: long integers exact, depth bounded
    except orjson.JSONDecodeError as error:
        return Routed(
            "cloudtrail", DeadLetter("cloudtrail", f"{INVALID_JSON}: {error}", origin.object, position, raw)
        )
    try:
        if type(record) is not dict:
            raise RecordError(
                INVALID_RECORD, f"a CloudTrail record must be a JSON object, not {json_type(record)}"
            )
        document = trail(record, raw, _stream_account(payload, record))
    except Exception as error:
        return Routed("cloudtrail", DeadLetter("cloudtrail", reason_of(error), origin.object, position, raw))
    document["aws"]["cloudwatch_logs"] = payload.provenance
    return Routed("cloudtrail", document)


def _stream_account(payload: Payload, record: dict[str, Any]) -> dict[str, str] | None:
    """For a record without ``recipientAccountId`` (before 1.02, or damaged), the account its
    log stream is named after, as an envelope's ``account`` (the mapper's fallback after the
    record's own, before the caller's ``userIdentity.accountId``); never the payload's ``owner``:
    the log group's account, for an organization trail the management account, not the one
    where the event happened."""
    recipient = record.get("recipientAccountId")
    if recipient.__class__ is str and recipient:
        return None
    found = _TRAIL_STREAM.fullmatch(payload.log_stream or "")
    return {"account": found.group(1)} if found else None


def _flow_items(
    payload: Payload, events: list[LogEvent], header: bytes | None, origin: Origin
) -> Iterator[Routed]:
    """The payload's flow lines through the flow log text reader, one batch for the payload,
    in log event order."""
    from normalizers.vpcflow.normalize import text_lines_items  # pyarrow only for flow payloads

    format_header = header or DEFAULT_HEADER
    problems = {
        event.index: reason
        for event in events
        if (reason := _line_problem(event.message, header, payload.log_group))
    }
    kept = [event for event in events if event.index not in problems]
    text = "\n".join(event.message for event in kept).encode("utf-8", "surrogatepass")
    # One item per kept line, in line order (each was checked to be one line).
    items = iter(text_lines_items(io.BytesIO(text), format_header, origin) if kept else ())
    provenance = payload.provenance
    for event in events:
        where = _position(payload, event.index)
        reason = problems.get(event.index)
        if reason is not None:
            raw = (
                format_header + b"\n" + event.message.encode("utf-8", "surrogatepass")[: lines.MAX_LINE_BYTES]
            )
            yield Routed("vpcflow", DeadLetter("vpcflow", reason, origin.object, where, raw))
            continue
        item = next(items)
        if isinstance(item, DeadLetter):
            item = DeadLetter(item.source, item.reason, item.object, where, item.raw)
        else:
            item["event"]["id"] = flow_event_id(event, origin.object, where)
            item["aws"]["cloudwatch_logs"] = dict(provenance)
        yield Routed("vpcflow", item)
    if next(items, None) is not None:
        raise AssertionError("the flow reader gave more items than lines")


def flow_event_id(event: LogEvent, object_name: str, where: str) -> str:
    """A flow line's ``event.id``: its log event's id, unique per log event and the same however
    often Firehose delivers the payload. An id longer than CloudWatch Logs' (a forged payload)
    is not written as given (a ``keyword`` term past 32,766 bytes makes the index refuse the
    document; short of that, it costs its bytes in every copy): the line is kept, under a hash
    of that id (32 hexadecimal characters), as stable across deliveries as the id. Without an
    id: a hash of where the line is and the line."""
    if event.id is None:
        return record_id(object_name, where, event.message)
    if len(event.id) > MAX_LOG_EVENT_ID:
        return record_id("log event id", event.id)
    return event.id


def _line_problem(message: str, header: bytes | None, log_group: str | None) -> str | None:
    """Why a message cannot be one flow line (in the default format, when none is configured)."""
    if not message.strip():
        return f"{INVALID_RECORD}: an empty log event"
    if "\n" in message:
        return f"{INVALID_RECORD}: a flow record is one line; the log event holds a line break"
    if len(message) > lines.MAX_LINE_BYTES:
        return f"{INVALID_RECORD}: line longer than {lines.MAX_LINE_BYTES} bytes"
    if header is None:
        width = len(_SPACES.split(message))  # a run of spaces is one separator, as for the reader
        if width != _DEFAULT_WIDTH:
            return (
                f"{INVALID_RECORD}: {width} fields; no flow log format is configured for log group "
                f"{log_group!r} ({CONFIGURATION}), and the default format has {_DEFAULT_WIDTH}"
            )
    return None


def _position(payload: Payload, event: int) -> str:
    return f"payload {payload.index} event {event}"


def _raw(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return repr(value).encode("utf-8", "replace")
