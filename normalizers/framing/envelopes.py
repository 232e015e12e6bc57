"""Envelopes around a JSON source's records, unwrapped by reusable steps.

A record cut from the stream (:mod:`~normalizers.framing.json_stream`) may be the record
itself, or wrapped, in this order:

- an SNS notification (``"Type": "Notification"``), as SNS delivers a message to a Firehose
  or SQS subscription without raw message delivery: the record is the JSON text of its
  ``Message``;
- an EventBridge event (``detail-type``, ``detail``): the record is ``detail``, or each of
  ``detail.<batch key>`` (Security Hub's ``detail.findings``); the event's other members
  (``account``, ``region``, ``time``, ``id``) stay at hand for the mapper's fallbacks.

Firehose adds no envelope of its own: it concatenates records, with or without a newline,
which the stream splitter reads as they come.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson

from normalizers.ecs.getters import json_type, nullable_obj, optional_list
from normalizers.framing.json_stream import Wrapper, exact_loads, to_json_bytes
from normalizers.reasons import INVALID_JSON, INVALID_RECORD, RecordError


class Framed(NamedTuple):
    """One record ready to map, with what its dead letter needs."""

    value: Any
    raw: bytes
    """The bytes a dead letter keeps: the record as it came (envelope included), or the
    record alone when it was taken out of a batch, so that it replays on its own."""
    position: str
    """``record 3``, ``record 3 finding 1``."""
    envelope: dict[str, Any] | None = None
    """The EventBridge event the record came in, for fallbacks (account, region, time, id)."""


_framed = Framed._make  # builds from a tuple in C: this runs once per record


@dataclass(frozen=True, slots=True)
class EventBridge:
    """The EventBridge events a source's records come in (docs: "EventBridge event structure")."""

    detail_types: frozenset[str] = frozenset()
    detail_type_suffix: str | None = None
    """Every CloudTrail event is "<something> via CloudTrail"; new kinds appear over time."""
    batch_key: str | None = None
    """``detail`` holds a list of records under this key (Security Hub: ``findings``)."""
    batch_item: str = "record"
    """How a record of the batch is named in its dead letter's position."""

    def accepts(self, detail_type: Any) -> bool:
        if not isinstance(detail_type, str):
            return False
        if detail_type in self.detail_types:
            return True
        return self.detail_type_suffix is not None and detail_type.endswith(self.detail_type_suffix)


@dataclass(frozen=True, slots=True)
class JsonFraming:
    """How a JSON source's records are framed: in the stream, then in envelopes."""

    noun: str
    """What one record is, for reasons: ``CloudTrail record``, ``GuardDuty finding``."""
    wrapper: Wrapper
    eventbridge: EventBridge | None = None
    exported: Callable[[Any, bytes], tuple[Any, bytes]] | None = None
    """``(value, raw) -> (record, raw)``: the record an item of another tool's export holds
    (CloudTrail's ``lookup-events`` items, Lake result rows), with the bytes its dead letter
    keeps; any other value unchanged. Applied before the envelopes."""

    def unwrap(self, value: Any, raw: bytes, position: str) -> list[Framed]:
        """The records a value of the stream holds, each ready for the mapper.

        Raises :class:`~normalizers.reasons.RecordError` for an envelope that cannot hold
        this source's records; a record that is not an object is the mapper loop's to refuse.
        ``raw`` stays the bytes as they came (a whole SNS notification or event), so that a
        dead letter replays through the same steps. A list, not a generator: this runs once
        per record.
        """
        if self.is_bare(value):
            return [_framed((value, raw, position, None))]
        if self.exported is not None:
            value, raw = self.exported(value, raw)
            if self.is_bare(value):
                return [_framed((value, raw, position, None))]
        if _is_sns(value):
            value = _sns_message(value)
        eventbridge = self.eventbridge
        if eventbridge is None or not self._is_event(value):
            return [Framed(value, raw, position)]
        kind = value.get("detail-type")
        if "detail-type" in value and not eventbridge.accepts(kind):
            raise RecordError(INVALID_RECORD, f"detail-type {kind!r} does not carry {self.noun}s")
        detail = nullable_obj(value, "detail")
        if eventbridge.batch_key is None:
            if detail is None:
                raise RecordError(INVALID_RECORD, "the event has no detail")
            return [Framed(detail, raw, position, value)]
        # A record of the batch becomes a dead letter on its own, so that it replays standalone.
        return [
            Framed(record, to_json_bytes(record), f"{position} {eventbridge.batch_item} {number}", value)
            for number, record in enumerate(optional_list(detail, eventbridge.batch_key))
        ]

    def is_bare(self, value: Any) -> bool:
        """A record in no envelope, the common case: an object with the record key, and
        neither an event's ``detail-type`` nor a notification's ``Type``."""
        return (
            type(value) is dict
            and self.wrapper.record_key in value
            and "detail-type" not in value
            and "Type" not in value
        )

    def _is_event(self, value: Any) -> bool:
        """An EventBridge event: ``detail-type``, or a ``detail`` on an object that is no record."""
        return type(value) is dict and (
            "detail-type" in value or ("detail" in value and self.wrapper.record_key not in value)
        )

    def not_an_object(self, value: Any) -> RecordError:
        """The reason a value of the stream that is no JSON object is no record."""
        return RecordError(INVALID_RECORD, f"a {self.noun} must be a JSON object, not {json_type(value)}")


SNS_NOTIFICATION = "Notification"


def _is_sns(value: Any) -> bool:
    return type(value) is dict and value.get("Type") == SNS_NOTIFICATION and "Message" in value


def _sns_message(notification: dict[str, Any]) -> Any:
    message = notification["Message"]
    if not isinstance(message, str):
        raise RecordError(INVALID_RECORD, f"the SNS Message is a {json_type(message)}, expected JSON text")
    try:
        return exact_loads(message)
    except orjson.JSONDecodeError as error:
        raise RecordError(INVALID_JSON, f"the SNS Message: {error}") from None


_MESSAGE = re.compile(rb'"Message"\s*:\s*"((?:[^"\\]|\\.)*)')


def sns_message_head(head: bytes) -> bytes:
    """The start of an SNS notification's ``Message`` in an object's first bytes, its JSON
    string escapes undone as far as recognizing a source needs (``\\"`` and ``\\\\``)."""
    match = _MESSAGE.search(head)
    if match is None:
        return b""
    return match.group(1).replace(b'\\"', b'"').replace(b"\\\\", b"\\")
