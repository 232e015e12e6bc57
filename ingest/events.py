"""Turn whatever invoked the Lambda into a list of S3 objects to ingest.

Accepted shapes (all may arrive directly or as the body of an SQS message), read with
Powertools' event data classes:

- S3 event notifications ``{"Records": [{"eventSource": "aws:s3", ...}]}`` (``S3EventRecord``);
- SNS notifications wrapping them (``{"Type": "Notification", "Message": "<json>"}`` in an SQS
  body, ``SNSMessage``; or ``{"Records": [{"EventSource": "aws:sns", "Sns": {...}}]}`` when
  SNS invokes us, ``SNSEventRecord``);
- EventBridge ``Object Created`` events from ``aws.s3`` (``S3EventBridgeNotificationEvent``);
- ``s3:TestEvent`` (sent by S3 when a notification is configured): ignored.

S3 URL-encodes object keys in notifications (a space becomes ``+``, a ``+`` becomes ``%2B``,
unicode is percent-encoded UTF-8), in both the classic and the EventBridge shape, so every
key is decoded with :func:`urllib.parse.unquote_plus`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

import orjson
from aws_lambda_powertools.utilities.data_classes.s3_event import (
    S3EventBridgeNotificationEvent,
    S3EventRecord,
)
from aws_lambda_powertools.utilities.data_classes.sns_event import SNSEventRecord, SNSMessage
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSEvent, SQSRecord


@dataclass(frozen=True, slots=True)
class ObjectRef:
    """One S3 object named by a notification."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class Message:
    """A unit that succeeds or fails as a whole: one SQS message, or the whole direct event."""

    message_id: str | None
    """The SQS ``messageId`` (reported in ``batchItemFailures``); ``None`` for direct invocations."""
    objects: tuple[ObjectRef, ...] = ()
    ignored: tuple[str, ...] = field(default=())
    """Why parts of the message hold nothing to ingest (test events, deletions...)."""
    error: str | None = None
    """Set when the message cannot be understood: it is reported as failed, so SQS keeps it
    (and finally moves it to the queue's dead-letter queue) instead of dropping it."""


class UnrecognizedEvent(ValueError):
    """The payload is not a shape this handler knows: a configuration error, never silent."""


Found = tuple[list[ObjectRef], list[str]]
"""The objects a payload names, and why its other parts were ignored."""


def parse_event(event: Mapping[str, Any]) -> list[Message]:
    """Split a Lambda event into messages; SQS batches give one message per SQS record."""
    records = event.get("Records")
    if isinstance(records, list) and records and _is_sqs_record(records[0]):
        return [_sqs_message(record) for record in SQSEvent(dict(event), orjson.loads).records]
    objects, ignored = _objects(event)
    return [Message(None, tuple(objects), tuple(ignored))]


def _is_sqs_record(record: Any) -> bool:
    return isinstance(record, Mapping) and record.get("eventSource") == "aws:sqs"


def _sqs_message(record: SQSRecord) -> Message:
    message_id = str(record.message_id)
    try:
        objects, ignored = _objects(_json(lambda: record.json_body, "SQS body"))
    except Exception as error:  # any shape we did not foresee fails this message alone, not the batch
        return Message(message_id, error=f"unrecognized message: {error!r}")
    return Message(message_id, tuple(objects), tuple(ignored))


def _objects(payload: Any) -> Found:
    if not isinstance(payload, Mapping):
        raise UnrecognizedEvent(f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("Event") == "s3:TestEvent":
        return [], ["s3:TestEvent"]
    if payload.get("Type") == "Notification" and "Message" in payload:  # SNS envelope in SQS
        return _sns(SNSMessage(dict(payload)))
    if payload.get("source") == "aws.s3" and "detail" in payload:
        return _eventbridge(S3EventBridgeNotificationEvent(dict(payload)))
    records = payload.get("Records")
    if isinstance(records, list):
        objects: list[ObjectRef] = []
        ignored: list[str] = []
        for record in records:
            found, skipped = _record(record)
            objects.extend(found)
            ignored.extend(skipped)
        return objects, ignored
    raise UnrecognizedEvent(f"unrecognized event with keys {sorted(payload)[:8]}")


def _record(record: Any) -> Found:
    if record.get("EventSource") == "aws:sns":  # SNS invoking the Lambda directly
        return _sns(SNSEventRecord(record).sns)
    if record.get("eventSource") != "aws:s3":
        raise UnrecognizedEvent(f"unrecognized record source {record.get('eventSource')!r}")
    return _s3(S3EventRecord(record))


def _sns(message: SNSMessage) -> Found:
    return _objects(_json(lambda: orjson.loads(message.message), "SNS Message"))


def _s3(record: S3EventRecord) -> Found:
    name = str(record.get("eventName", ""))
    if not name.startswith("ObjectCreated:"):
        return [], [name or "S3 event without eventName"]
    obj = record.s3.get_object
    return [
        ObjectRef(
            bucket=record.s3.bucket.name,
            key=unquote_plus(obj.key),  # S3Object.key is the key as notified: still URL-encoded
            version_id=obj.version_id or None,
            etag=obj.etag or None,
            size=_int_or_none(obj.get("size")),
        )
    ], []


def _eventbridge(event: S3EventBridgeNotificationEvent) -> Found:
    detail_type = event.get("detail-type")
    if detail_type != "Object Created":
        return [], [str(detail_type)]
    obj = event.detail.object
    return [
        ObjectRef(
            bucket=event.detail.bucket.name,
            key=obj.key,  # decoded by the data class (unquote_plus)
            # Unversioned buckets send no "version-id", where the data class would raise.
            version_id=obj.get("version-id") or None,
            etag=obj.etag or None,
            size=_int_or_none(obj.size),
        )
    ], []


def _json(load: Callable[[], Any], what: str) -> Any:
    """``load()``: the JSON document a body or an SNS message holds."""
    try:
        return load()
    except (orjson.JSONDecodeError, TypeError, KeyError):
        raise UnrecognizedEvent(f"{what} is not JSON") from None


def _int_or_none(value: Any) -> int | None:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else None
